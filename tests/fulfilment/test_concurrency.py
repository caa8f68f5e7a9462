"""Two tasks of one step finishing at the same moment, in real concurrent transactions (own connections).

The first finisher holds its transaction open; the second must queue on the parent's row lock (seen in
pg_locks, not timed), then decide on the first one's committed state: the next step opens exactly once
and TASKS_DONE is published exactly once.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from fulfilment import services
from fulfilment.events import TASKS_DONE
from fulfilment.models import Task
from fulfilment.services import TaskSpec
from incidents.models import Incident
from tests.factories import AgentFactory, make_incident
from tickets import events
from tickets.models import TicketLink, TimelineEntry

TIMEOUT = 30


def on_own_connection(tenant, fn, *args):
    """Run ``fn`` in a thread with its own connection (committed writes), re-raising what it raised."""
    result, failures = {}, []

    def run():
        try:
            connection.set_tenant(tenant)
            result["value"] = fn(*args)
        except Exception as exc:  # surfaced by the caller
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(TIMEOUT)
    assert not failures, failures
    return result.get("value")


def queued_behind_a_lock(thread) -> bool:
    """Whether ``thread`` is seen waiting for a lock in this database before it finishes (polled, not timed)."""
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # the test's transaction would keep its first view
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return True
        if not thread.is_alive():
            return False
        thread.join(0.05)
    return False


@pytest.fixture
def committed_parent(tenant):
    """A parent with tasks A and B (step 1) and, for ``next_step``, C (step 2), committed; removed afterwards."""
    made = {}

    def build(next_step: bool):
        agent = AgentFactory(email=f"fulfilment-race-{next_step}@example.test")
        parent = make_incident(by=agent, title="New starter: race")
        specs = [TaskSpec("A", step=1), TaskSpec("B", step=1)] + ([TaskSpec("C", step=2)] if next_step else [])
        tasks = services.create_tasks(parent, specs, by=agent)
        made.update(agent=agent, parent=parent, tasks=tasks)
        return agent, parent, {task.title: task for task in tasks}

    yield lambda next_step: on_own_connection(tenant, build, next_step)

    def clean_up():
        ids = [task.pk for task in made.get("tasks", [])]
        TimelineEntry.objects.filter(ticket_type="fulfilment.task", ticket_id__in=ids).delete()
        TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=made["parent"].pk).delete()
        TicketLink.objects.filter(source_type="fulfilment.task", source_id__in=ids).delete()
        Task.objects.filter(pk__in=ids).delete()
        Incident.objects.filter(pk=made["parent"].pk).delete()
        made["agent"].delete()

    if made:
        on_own_connection(tenant, clean_up)


@pytest.fixture
def tasks_done():
    seen = []

    def listener(event):
        seen.append((event.ticket.pk, dict(event.data)))

    events.subscribe_in_transaction(TASKS_DONE)(listener)
    yield seen
    events._in_transaction[TASKS_DONE].remove(listener)


def race(tenant, agent, first, second, *, second_action="done"):
    """``first`` finishes and holds its transaction open until ``second`` is seen waiting for a lock."""
    finished, release, failures = threading.Event(), threading.Event(), []

    def finish_first():
        try:
            connection.set_tenant(tenant)
            with transaction.atomic():
                services.transition_task(Task.objects.get(pk=first.pk), "done", by=agent)
                finished.set()
                release.wait(TIMEOUT)
        except Exception as exc:
            failures.append(exc)
        finally:
            finished.set()
            connections.close_all()

    def finish_second():
        try:
            connection.set_tenant(tenant)
            fields = {"cancel_reason": "Not needed"} if second_action == "cancel" else None
            services.transition_task(Task.objects.get(pk=second.pk), second_action, by=agent, fields=fields)
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    one, two = threading.Thread(target=finish_first), threading.Thread(target=finish_second)
    one.start()
    assert finished.wait(TIMEOUT)
    two.start()
    try:
        assert queued_behind_a_lock(two), "the second finisher never queued behind the first"
    finally:
        release.set()
        one.join(TIMEOUT)
        two.join(TIMEOUT)
    assert not failures, failures


def test_two_tasks_finishing_together_open_the_next_step_exactly_once(tenant, committed_parent, tasks_done):
    agent, parent, tasks = committed_parent(True)
    race(tenant, agent, tasks["A"], tasks["B"])
    states = dict(Task.objects.filter(pk__in=[t.pk for t in tasks.values()]).values_list("title", "state"))
    assert states == {"A": "done", "B": "done", "C": "open"}
    opened = TimelineEntry.objects.filter(ticket_type="fulfilment.task", ticket_id=tasks["C"].pk, kind="transition")
    assert [entry.data["to"] for entry in opened] == ["open"]
    assert tasks_done == []


@pytest.mark.parametrize("second_action", ["done", "cancel"])
def test_the_last_two_tasks_finishing_together_publish_tasks_done_exactly_once(tenant, committed_parent, tasks_done,
                                                                              second_action):
    agent, parent, tasks = committed_parent(False)
    race(tenant, agent, tasks["A"], tasks["B"], second_action=second_action)
    expected = {"done": 2, "cancelled": 0} if second_action == "done" else {"done": 1, "cancelled": 1}
    assert tasks_done == [(parent.pk, expected)]


def test_cancelling_a_parents_tasks_while_one_finishes_queues_instead_of_deadlocking(tenant, committed_parent,
                                                                                     tasks_done):
    """Both take the parent first (the lock order): the cancel waits, then cancels only what is left."""
    agent, parent, tasks = committed_parent(True)
    finished, release, failures, cancelled = threading.Event(), threading.Event(), [], []

    def finish_a():
        try:
            connection.set_tenant(tenant)
            with transaction.atomic():
                services.transition_task(Task.objects.get(pk=tasks["A"].pk), "done", by=agent)
                finished.set()
                release.wait(TIMEOUT)
        except Exception as exc:
            failures.append(exc)
        finally:
            finished.set()
            connections.close_all()

    def cancel_all():
        try:
            connection.set_tenant(tenant)
            cancelled.extend(t.title for t in services.cancel_open_tasks(
                Incident.objects.get(pk=parent.pk), by=agent, reason="Request withdrawn"))
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    one, two = threading.Thread(target=finish_a), threading.Thread(target=cancel_all)
    one.start()
    assert finished.wait(TIMEOUT)
    two.start()
    try:
        assert queued_behind_a_lock(two), "the cancel never queued behind the finishing task"
    finally:
        release.set()
        one.join(TIMEOUT)
        two.join(TIMEOUT)
    assert not failures, failures
    assert sorted(cancelled) == ["B", "C"]
    states = dict(Task.objects.filter(pk__in=[t.pk for t in tasks.values()]).values_list("title", "state"))
    assert states == {"A": "done", "B": "cancelled", "C": "cancelled"}
    assert tasks_done == []
