"""Fulfilment tasks: creating them under a parent, steps opening in order, the guard, the event, refusals."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from core.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from fulfilment import queries, services
from fulfilment.events import TASKS_DONE
from fulfilment.models import Task
from fulfilment.services import TaskSpec
from incidents import services as incident_services
from incidents.models import Incident
from tests.factories import AgentFactory, GroupFactory, RequesterFactory, make_incident, make_task
from tickets import events, guards
from tickets import services as ticket_services
from fulfilment.links import TASK_OF
from tickets.links import services as link_services
from tickets.links.kinds import side_choices
from tickets.models import TicketLink, TimelineEntry
from tickets.workflow import CLOSES, Transition


def states(parent) -> dict[str, str]:
    return {task.title: task.state for task in queries.tasks_of(parent)}


def kinds(ticket) -> list[str]:
    return list(TimelineEntry.objects.filter(ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk)
                .order_by("id").values_list("kind", flat=True))


def finish(task, *, by, action="done"):
    fields = {"cancel_reason": "Not needed any more"} if action == "cancel" else None
    return services.transition_task(Task.objects.get(pk=task.pk), action, by=by, fields=fields)


@pytest.fixture
def parent(tenant, agent, requester):
    return make_incident(by=agent, requester=requester, title="New starter: Ada", impact=2, urgency=1)


@pytest.fixture
def tasks_done_events():
    seen = []

    def listener(event):
        seen.append(event)

    events.subscribe_in_transaction(TASKS_DONE)(listener)
    yield seen
    events._in_transaction[TASKS_DONE].remove(listener)


def by_title(parent, title) -> Task:
    return queries.tasks_of(parent).get(title=title)


# -- creating ---------------------------------------------------------------------------------------

def test_create_tasks_opens_the_lowest_step_and_leaves_the_rest_pending(parent, agent, requester):
    made = services.create_tasks(parent, [TaskSpec("Order laptop", step=1), TaskSpec("Create account", step=1),
                                          TaskSpec("Configure laptop", step=2), TaskSpec("Hand over", step=3)],
                                 by=agent)
    assert [task.number[:4] for task in made] == ["TASK"] * 4
    assert states(parent) == {"Order laptop": "open", "Create account": "open", "Configure laptop": "pending",
                              "Hand over": "pending"}
    task = made[0]
    # The parent's requester, channel, category and priority; linked as task_of with both timelines told.
    assert (task.requester_id, task.channel, task.priority) == (requester.pk, parent.channel, parent.priority)
    assert (task.parent_number, task.parent_type, task.parent_pk) == (parent.number, "incidents.incident", parent.pk)
    assert TicketLink.objects.filter(kind="task_of", source_id=task.pk, target_id=parent.pk).count() == 1
    assert kinds(task) == ["created", "link"]
    assert kinds(parent).count("link") == 4


def test_tasks_of_is_one_query_in_step_then_number_order(parent, agent, django_assert_num_queries):
    services.create_tasks(parent, [TaskSpec("B", step=2), TaskSpec("A", step=1), TaskSpec("C", step=2)], by=agent)
    with django_assert_num_queries(1):
        rows = [(task.step, task.title, task.assignee) for task in queries.tasks_of(parent)]
    assert [(step, title) for step, title, _ in rows] == [(1, "A"), (2, "B"), (2, "C")]


def test_the_lowest_step_opens_even_when_it_is_not_step_one(parent, agent):
    services.create_tasks(parent, [TaskSpec("Later", step=5), TaskSpec("First", step=3)], by=agent)
    assert states(parent) == {"First": "open", "Later": "pending"}


def test_a_task_added_by_hand_waits_for_the_unfinished_earlier_steps(parent, agent):
    services.create_tasks(parent, [TaskSpec("Order laptop", step=1)], by=agent)
    later = make_task(by=agent, parent=parent, title="Configure laptop", step=2)
    same = make_task(by=agent, parent=parent, title="Create account", step=1)
    assert (later.state, same.state) == ("pending", "open")


def test_a_task_added_after_every_earlier_one_finished_opens_at_once(parent, agent):
    [first] = services.create_tasks(parent, [TaskSpec("Order laptop")], by=agent)
    finish(first, by=agent)
    assert make_task(by=agent, parent=parent, title="Configure laptop", step=2).state == "open"


# -- sequencing ------------------------------------------------------------------------------------

def test_sequential_tasks_open_one_after_another(parent, agent):
    services.create_tasks(parent, [TaskSpec("One", step=1), TaskSpec("Two", step=2), TaskSpec("Three", step=3)],
                          by=agent)
    finish(by_title(parent, "One"), by=agent)
    assert states(parent) == {"One": "done", "Two": "open", "Three": "pending"}
    two = by_title(parent, "Two")
    services.transition_task(two, "start", by=agent)
    finish(two, by=agent)
    assert states(parent) == {"One": "done", "Two": "done", "Three": "open"}
    opened = TimelineEntry.objects.filter(ticket_type="fulfilment.task", ticket_id=by_title(parent, "Three").pk,
                                          kind="transition").get()
    assert opened.author is None and opened.data["source"] == "fulfilment" and opened.data["to"] == "open"


def test_parallel_tasks_open_together_and_the_next_step_waits_for_all_of_them(parent, agent):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B", step=1), TaskSpec("Next", step=2)], by=agent)
    finish(by_title(parent, "A"), by=agent)
    assert states(parent) == {"A": "done", "B": "open", "Next": "pending"}
    finish(by_title(parent, "B"), by=agent)
    assert states(parent)["Next"] == "open"


def test_mixed_steps_open_a_whole_step_at_once(parent, agent):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B1", step=2), TaskSpec("B2", step=2),
                                   TaskSpec("C", step=3)], by=agent)
    finish(by_title(parent, "A"), by=agent)
    assert states(parent) == {"A": "done", "B1": "open", "B2": "open", "C": "pending"}
    finish(by_title(parent, "B2"), by=agent)
    assert states(parent)["C"] == "pending"
    finish(by_title(parent, "B1"), by=agent)
    assert states(parent)["C"] == "open"


def test_cancelling_a_task_counts_as_finishing_its_step(parent, agent):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B", step=1), TaskSpec("Next", step=2)], by=agent)
    finish(by_title(parent, "A"), by=agent, action="cancel")
    assert states(parent)["Next"] == "pending"
    finish(by_title(parent, "B"), by=agent)
    assert states(parent)["Next"] == "open"


def test_cancelling_a_pending_task_of_a_later_step_opens_nothing_early(parent, agent):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B", step=2), TaskSpec("C", step=3)], by=agent)
    finish(by_title(parent, "B"), by=agent, action="cancel")
    assert states(parent) == {"A": "open", "B": "cancelled", "C": "pending"}
    finish(by_title(parent, "A"), by=agent)
    assert states(parent)["C"] == "open"


def test_a_pending_task_cannot_be_opened_by_hand_before_its_turn(parent, agent):
    services.create_tasks(parent, [TaskSpec("Order laptop", step=1), TaskSpec("Configure", step=2)], by=agent)
    pending = by_title(parent, "Configure")
    reason = guards.refusal(Task.workflow.by_name["open"], pending)
    assert reason == f"Waiting for step 1 to finish: {by_title(parent, 'Order laptop').number} Order laptop."
    with pytest.raises(InvalidTransition, match="Waiting for step 1"):
        services.transition_task(pending, "open", by=agent)
    assert by_title(parent, "Configure").state == "pending"


def test_a_pending_task_whose_earlier_tasks_are_gone_can_be_opened_by_hand(parent, agent):
    first, pending = services.create_tasks(parent, [TaskSpec("Gone", step=1), TaskSpec("Waiting", step=2)], by=agent)
    Task.objects.filter(pk=first.pk).delete()
    assert services.transition_task(pending, "open", by=agent).state == "open"


def test_the_requester_is_mailed_about_the_parent_never_about_its_tasks(parent, agent, requester, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    """A task is internal work: done is a closed state, not a resolved one, and the type mails no requester
    (created, replies, resolution); its assignee still hears of an assignment."""
    assert Task.workflow.meaning("open", "done") == CLOSES
    assignee = AgentFactory(email="assignee@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        [task] = services.create_tasks(parent, [TaskSpec("Order laptop", assignee=assignee)], by=agent)
        ticket_services.add_comment(task, by=agent, body="Ordered, arrives Monday", is_public=True)
        finish(task, by=agent)
    assert [message.to for message in mailoutbox] == [[assignee.email]]
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(by=agent, requester=requester, title="The platform still mails requesters")
    assert mailoutbox[-1].to == [requester.email]


def test_the_desk_itself_can_create_tasks(parent):
    [task] = services.create_tasks(parent, [TaskSpec("From a template")], by=services.FULFILMENT)
    assert task.created_by_id is None and task.state == "open"
    created = TimelineEntry.objects.get(ticket_type="fulfilment.task", ticket_id=task.pk, kind="created")
    assert created.author is None and created.data["source"] == "fulfilment"


# -- the event -------------------------------------------------------------------------------------

def test_the_last_task_finishing_publishes_tasks_done_on_the_parent_once(parent, agent, tasks_done_events):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B", step=1), TaskSpec("C", step=2)], by=agent)
    finish(by_title(parent, "A"), by=agent)
    finish(by_title(parent, "B"), by=agent, action="cancel")
    assert tasks_done_events == []
    finish(by_title(parent, "C"), by=agent)
    [event] = tasks_done_events
    assert (event.ticket.pk, type(event.ticket), event.actor, event.data) == (
        parent.pk, Incident, agent, {"done": 2, "cancelled": 1})


def test_tasks_done_listeners_run_inside_the_transaction_and_can_refuse_it(parent, agent):
    [task] = services.create_tasks(parent, [TaskSpec("A")], by=agent)

    def refuse(event):
        raise ValidationFailed("The parent cannot be closed.", fields={"parent": ["no"]})

    events.subscribe_in_transaction(TASKS_DONE)(refuse)
    try:
        with pytest.raises(ValidationFailed):
            finish(task, by=agent)
    finally:
        events._in_transaction[TASKS_DONE].remove(refuse)
    assert Task.objects.get(pk=task.pk).state == "open"


def test_cancel_open_tasks_cancels_every_unfinished_task_quietly(parent, agent, requester, tasks_done_events):
    services.create_tasks(parent, [TaskSpec("A", step=1), TaskSpec("B", step=1), TaskSpec("C", step=2)], by=agent)
    finish(by_title(parent, "A"), by=agent)
    cancelled = services.cancel_open_tasks(parent, by=requester, reason="The request was rejected")
    assert sorted(task.title for task in cancelled) == ["B", "C"]
    assert states(parent) == {"A": "done", "B": "cancelled", "C": "cancelled"}
    assert by_title(parent, "C").cancel_reason == "The request was rejected"
    assert tasks_done_events == []


def test_cancel_open_tasks_needs_a_reason(parent, agent):
    services.create_tasks(parent, [TaskSpec("A")], by=agent)
    with pytest.raises(ValidationFailed) as refused:
        services.cancel_open_tasks(parent, by=agent, reason=" ")
    assert set(refused.value.fields) == {"reason"} and states(parent) == {"A": "open"}


# -- the guard -------------------------------------------------------------------------------------

def guard(parent):
    return guards.refusal(Transition("fulfil", frozenset(), "x", "Fulfil", guards=("all_tasks_done",)), parent)


def test_all_tasks_done_passes_without_tasks_and_when_all_are_finished(parent, agent):
    assert guard(parent) is None
    services.create_tasks(parent, [TaskSpec("A"), TaskSpec("B")], by=agent)
    finish(by_title(parent, "A"), by=agent)
    finish(by_title(parent, "B"), by=agent, action="cancel")
    assert guard(parent) is None


def test_all_tasks_done_names_the_tasks_still_open(parent, agent):
    services.create_tasks(parent, [TaskSpec("Order laptop", step=1), TaskSpec("Create account", step=1),
                                   TaskSpec("Configure laptop", step=2), TaskSpec("Hand over", step=3)], by=agent)
    finish(by_title(parent, "Order laptop"), by=agent)
    finish(by_title(parent, "Create account"), by=agent)
    configure, hand_over = by_title(parent, "Configure laptop"), by_title(parent, "Hand over")
    assert guard(parent) == (f"2 of 4 tasks are still open: {configure.number} Configure laptop, "
                             f"{hand_over.number} Hand over.")
    finish(configure, by=agent)
    assert guard(parent) == f"1 of 4 tasks is still open: {hand_over.number} Hand over."


def test_a_parent_transition_naming_the_guard_is_refused_until_the_tasks_are_done(parent, agent):
    [task] = services.create_tasks(parent, [TaskSpec("Order laptop")], by=agent)
    step = Transition("close_all", frozenset({parent.state}), "cancelled", "Close", guards=("all_tasks_done",))
    with pytest.raises(InvalidTransition, match=f"1 of 1 tasks is still open: {task.number} Order laptop"):
        guards.enforce(step, parent)
    finish(task, by=agent)
    guards.enforce(step, parent)


# -- refusals ----------------------------------------------------------------------------------------

def assert_nothing_written(before_tasks: int, before_links: int):
    assert (Task.objects.count(), TicketLink.objects.count()) == (before_tasks, before_links)


@pytest.mark.parametrize("spec, field", [
    (TaskSpec(" "), "tasks.1.title"),
    (TaskSpec("Step zero", step=0), "tasks.1.step"),
    (TaskSpec("Step text", step="2"), "tasks.1.step"),
    (TaskSpec("Bad due", due_at="next tuesday"), "tasks.1.due_at"),
    (TaskSpec("Naive due", due_at=datetime(2026, 12, 24, 17)), "tasks.1.due_at"),
])
def test_bad_specs_are_refused_with_the_field_and_nothing_is_written(parent, agent, spec, field):
    before = Task.objects.count(), TicketLink.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.create_tasks(parent, [TaskSpec("Fine"), spec], by=agent)
    assert set(refused.value.fields) == {field}
    assert_nothing_written(*before)


def test_an_assignee_outside_the_group_is_refused(parent, agent):
    group, outsider = GroupFactory(name="Desktop"), AgentFactory()
    group.members.add(agent)
    with pytest.raises(ValidationFailed) as refused:
        services.create_tasks(parent, [TaskSpec("Configure", assignment_group=group, assignee=outsider)], by=agent)
    assert refused.value.fields == {"tasks.0.assignee": [f"{outsider} is not a member of Desktop."]}
    with pytest.raises(ValidationFailed) as refused:
        make_task(by=agent, parent=parent, assignment_group=group, assignee=RequesterFactory())
    assert set(refused.value.fields) == {"assignee"}
    task = make_task(by=agent, parent=parent, assignment_group=group, assignee=agent)
    assert (task.assignment_group_id, task.assignee_id) == (group.pk, agent.pk)


def test_a_due_date_is_kept_as_the_instant_given(parent, agent):
    due = datetime(2026, 12, 24, 17, tzinfo=dt_timezone(timedelta(hours=1)))
    task = make_task(by=agent, parent=parent, due_at=due)
    assert Task.objects.get(pk=task.pk).due_at == due
    assert make_task(by=agent, parent=parent, due_at="2026-12-24T16:00:00Z").due_at == due


def test_a_task_needs_a_parent_that_exists_and_is_no_task_and_is_not_finished(parent, agent):
    before = Task.objects.count(), TicketLink.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.create_task_by_number(by=agent, parent="INC9999999", title="Orphan")
    assert refused.value.fields == {"parent": ["There is no ticket INC9999999."]}
    with pytest.raises(ValidationFailed) as refused:
        services.create_task_by_number(by=agent, parent="", title="Orphan")
    assert set(refused.value.fields) == {"parent"}
    task = make_task(by=agent, parent=parent)
    cancelled = make_incident(by=agent)
    incident_services.transition_incident(cancelled, "cancel", by=agent, fields={"cancel_reason": "Raised twice"})
    before = Task.objects.count(), TicketLink.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        make_task(by=agent, parent=task)
    assert refused.value.fields == {"parent": [f"{task.number} is a task; tasks have no tasks of their own."]}
    with pytest.raises(ValidationFailed) as refused:
        make_task(by=agent, parent=Incident.objects.get(pk=cancelled.pk))
    assert refused.value.fields == {"parent": [
        f"{cancelled.number} is cancelled; tasks can only be added to an unfinished ticket."]}
    assert_nothing_written(*before)


def test_only_agents_add_tasks_by_hand(parent, requester):
    with pytest.raises(NotPermitted):
        services.create_task(parent, by=requester, title="Let me in")
    assert Task.objects.count() == 0


def test_unknown_fields_are_refused(parent, agent):
    with pytest.raises(ValidationFailed) as refused:
        services.create_task(parent, by=agent, title="X", colour="red")
    assert refused.value.fields == {"colour": ["Unknown field."]}


def test_a_tasks_parent_link_cannot_be_made_or_removed_by_hand(parent, agent):
    task = make_task(by=agent, parent=parent)
    other = make_incident(by=agent)
    before = TicketLink.objects.count()
    assert "has_task" not in [name for name, _ in side_choices(other)]
    assert "task_of" not in [name for name, _ in side_choices(task)]
    for ticket, side, number in ((other, "has_task", task.number), (task, "task_of", other.number)):
        with pytest.raises(ValidationFailed) as refused:
            link_services.link_by_number(ticket, side, number, by=agent)
        assert refused.value.fields == {"kind": [TASK_OF.managed]}
    link = TicketLink.objects.get(kind="task_of", source_id=task.pk)
    with pytest.raises(NotPermitted, match="cancel a task rather than removing its link"):
        link_services.unlink(parent, link.pk, by=agent)
    assert TicketLink.objects.count() == before


def test_an_sla_policy_for_tasks_counts_done_as_met_and_cancelled_as_cancelled(parent, agent,
                                                                             django_capture_on_commit_callbacks):
    """A task goes from open straight to done: a closed state, so its clocks stop met (not cancelled)."""
    from sla.models import Calendar, Clock, Metric, Policy, Target

    with django_capture_on_commit_callbacks(execute=True):
        policy = Policy.objects.create(name="Task OLA", ticket_type="fulfilment.task", order=1)
        calendar = Calendar.objects.filter(is_24x7=True).first() or Calendar.objects.create(name="24x7", is_24x7=True)
        Target.objects.bulk_create([Target(policy=policy, metric=Metric.RESOLUTION, priority=p, duration_seconds=3600,
                                           calendar=calendar) for p in range(1, 6)])
        policy.save()
    done, dropped = services.create_tasks(parent, [TaskSpec("Done"), TaskSpec("Dropped")], by=agent)
    finish(done, by=agent)
    finish(dropped, by=agent, action="cancel")
    outcomes = dict(Clock.objects.filter(ticket_type="fulfilment.task", metric=Metric.RESOLUTION)
                    .values_list("ticket_id", "outcome"))
    assert outcomes == {done.pk: Clock.Outcome.MET, dropped.pk: Clock.Outcome.CANCELLED}
