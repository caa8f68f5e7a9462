"""Transition guards: checks a floor above the core registers by name ("approved", "all tasks done")."""

import dataclasses

import pytest

from core.exceptions import InvalidTransition
from incidents.models import Incident
from tests.factories import make_incident
from tickets import guards, services
from tickets.models import TimelineEntry


@pytest.fixture
def guarded_start(monkeypatch):
    """The incident workflow with its "start" step guarded by ``test_ready``."""
    workflow = Incident.workflow
    transitions = tuple(dataclasses.replace(t, guards=("test_ready",)) if t.name == "start" else t
                        for t in workflow.transitions)
    monkeypatch.setattr(Incident, "workflow", dataclasses.replace(workflow, transitions=transitions))
    yield
    guards.unregister("test_ready")


def test_a_refusing_guard_stops_the_transition_and_writes_nothing(tenant, agent, guarded_start):
    incident = make_incident(by=agent)
    seen = []
    guards.register("test_ready", lambda ticket: seen.append(ticket.version) or "Waiting for approval.")
    with pytest.raises(InvalidTransition) as refused:
        services.transition(incident, "start", by=agent)
    assert str(refused.value) == f"Cannot start work {incident.number}: Waiting for approval."
    incident.refresh_from_db()
    assert incident.state == "new" and incident.version == 1
    assert not TimelineEntry.objects.filter(ticket_id=incident.pk, kind=TimelineEntry.Kind.TRANSITION).exists()
    assert seen == [1]  # asked on the locked row


def test_a_passing_guard_lets_it_through(tenant, agent, guarded_start):
    incident = make_incident(by=agent)
    guards.register("test_ready", lambda ticket: None)
    assert services.transition(incident, "start", by=agent).state == "in_progress"


def test_a_guard_nobody_registered_refuses(tenant, agent, guarded_start):
    incident = make_incident(by=agent)
    with pytest.raises(InvalidTransition, match="'test_ready' check, which is not available"):
        services.transition(incident, "start", by=agent)


def test_the_desk_shows_a_blocked_step_disabled_with_its_reason(tenant, agent, guarded_start, make_client):
    incident = make_incident(by=agent)
    guards.register("test_ready", lambda ticket: "Waiting for approval: stage 1 of 2.")
    page = make_client(tenant, agent).get(f"/desk/incidents/{incident.number}/").content.decode()
    assert 'id="blocked-start">Waiting for approval: stage 1 of 2.</span>' in page
    assert 'disabled aria-describedby="blocked-start">Start work</button>' in page
