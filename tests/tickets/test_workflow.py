import pytest

from core.exceptions import InvalidTransition
from incidents.workflow import WORKFLOW
from tickets.workflow import AGENT, REQUESTER, T, Workflow


def test_workflow_refuses_undeclared_states():
    with pytest.raises(ValueError, match="undeclared"):
        Workflow(initial="a", states={"a": "A"}, transitions=(T("go", {"a"}, "b"),))


def test_available_actions_depend_on_state_and_role():
    assert [t.name for t in WORKFLOW.available("new")] == ["start", "hold", "resolve", "cancel"]
    assert [t.name for t in WORKFLOW.available("resolved", role=REQUESTER)] == ["reopen", "close"]
    assert WORKFLOW.available("closed") == []


def test_step_explains_why_a_transition_is_refused():
    with pytest.raises(InvalidTransition, match="Cannot resolve a ticket that is Closed"):
        WORKFLOW.step("closed", "resolve", role=AGENT)
    with pytest.raises(InvalidTransition, match="not allowed"):
        WORKFLOW.step("new", "start", role=REQUESTER)
    with pytest.raises(InvalidTransition, match="Unknown action"):
        WORKFLOW.step("new", "teleport")


def test_every_open_state_can_reach_a_final_state():
    for state in WORKFLOW.open_states:
        reachable, frontier = {state}, [state]
        while frontier:
            current = frontier.pop()
            for t in WORKFLOW.available(current):
                if t.target not in reachable:
                    reachable.add(t.target)
                    frontier.append(t.target)
        assert reachable & WORKFLOW.final, state
