"""Real concurrent transactions on committed rows: approvers deciding at once, a double click, two ticks.

The rows are committed from a thread (its own connection) because the test's own transaction is
invisible to the others; they are removed again at the end.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from approvals import scanner, services
from approvals.due.models import DueStage, PendingMail
from approvals.models import Approval, ApprovalChainDefinition, ApprovalRequest, ApprovalStage, StageDefinition
from core.exceptions import InvalidTransition
from tickets.models import NotificationDelivery, TimelineEntry
from tickets.write_guard import direct_writes


def in_thread(tenant, fn):
    result, errors = {}, []

    def run():
        try:
            connection.set_tenant(tenant)
            result["value"] = fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result.get("value")


def at_once(tenant, fns):
    """Run each function in its own thread and connection, released together; returns results or exceptions."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def run(index, fn):
        try:
            connection.set_tenant(tenant)
            barrier.wait(timeout=30)
            results[index] = fn()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


@pytest.fixture
def committed(tenant):
    """A committed chain (any-one group of two, then a person) started on a committed incident."""
    from accounts.models import AssignmentGroup, User
    from incidents.services import create_incident

    made = {}

    def seed():
        tag = timezone.now().strftime("%H%M%S%f")
        first = User.objects.create_user(f"first-{tag}@example.test", full_name="First", role="agent")
        second = User.objects.create_user(f"second-{tag}@example.test", full_name="Second", role="agent")
        third = User.objects.create_user(f"third-{tag}@example.test", full_name="Third", role="agent")
        requester = User.objects.create_user(f"req-{tag}@example.test", full_name="Req", manager=third)
        group = AssignmentGroup.objects.create(name=f"Pair {tag}")
        group.members.add(first, second)
        chain = ApprovalChainDefinition.objects.create(name=f"Concurrent {tag}")
        StageDefinition.objects.create(chain=chain, order=1, name="Pair", kind="group", group=group, group_mode="any",
                                       reminder_after_hours=1)
        StageDefinition.objects.create(chain=chain, order=2, name="Manager", kind="manager", reminder_after_hours=1)
        ticket = create_incident(by=requester, requester=requester, title="Concurrent approval")
        approval = services.start_approval(ticket, chain, by=requester)
        made.update(users=[first, second, third, requester], group=group, chain=chain, ticket=ticket,
                    approval=approval)

    in_thread(tenant, seed)
    yield made

    def clean():
        approval, ticket = made["approval"], made["ticket"]
        stage_ids = list(ApprovalStage.objects.filter(approval=approval).values_list("pk", flat=True))
        DueStage.objects.filter(schema_name=tenant.schema_name, stage_id__in=stage_ids).delete()
        PendingMail.objects.filter(schema_name=tenant.schema_name, request_id__in=ApprovalRequest.objects.filter(
            stage_id__in=stage_ids).values_list("pk", flat=True)).delete()
        NotificationDelivery.objects.filter(ticket_type="incidents.incident", ticket_id=ticket.pk).delete()
        Approval.objects.filter(pk=approval.pk).delete()
        made["chain"].delete()
        TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=ticket.pk).delete()
        from incidents.models import Incident
        with direct_writes("test clean-up"):
            Incident.objects.filter(pk=ticket.pk).delete()
        made["group"].delete()
        for user in made["users"]:
            user.delete()

    in_thread(tenant, clean)


def _stage_events(ticket, event):
    return TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=ticket.pk,
                                        data__approval__event=event).count()


def test_two_approvers_of_an_any_one_stage_at_once_advance_one_stage(tenant, committed):
    first, second, third, _ = committed["users"]
    approval = committed["approval"]
    requests = {r.approver_id: r for r in ApprovalRequest.objects.filter(stage__approval=approval, stage__order=1)}
    results = at_once(tenant, [
        lambda: services.decide(requests[first.pk], by=first, decision="approve", via="portal"),
        lambda: services.decide(requests[second.pk], by=second, decision="approve", via="api"),
    ])
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidTransition), results
    assert "already approved" in str(refused[0])
    assert _stage_events(committed["ticket"], "stage_approved") == 1
    assert _stage_events(committed["ticket"], "stage_started") == 2  # stage 1 at the start, stage 2 once
    assert list(ApprovalStage.objects.filter(approval=approval).values_list("state", flat=True)) == ["approved",
                                                                                                      "pending"]
    assert ApprovalRequest.objects.filter(stage__approval=approval, stage__order=2).count() == 1


def test_a_double_click_from_two_connections_decides_once(tenant, committed):
    first = committed["users"][0]
    request = ApprovalRequest.objects.get(stage__approval=committed["approval"], approver=first)
    results = at_once(tenant, [
        lambda: services.decide(request, by=first, decision="approve", via="portal"),
        lambda: services.decide(request, by=first, decision="approve", via="portal"),
    ])
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert request.decisions.count() == 1
    assert _stage_events(committed["ticket"], "stage_approved") == 1


def test_two_ticks_at_once_remind_once(tenant, committed):
    stage = ApprovalStage.objects.get(approval=committed["approval"], order=1)
    later = stage.next_reminder_at + timedelta(seconds=1)
    results = at_once(tenant, [lambda: scanner.tick(now=later), lambda: scanner.tick(now=later)])
    assert sum(sum(r.values()) for r in results) == 1, results
    stage.refresh_from_db()
    assert stage.reminders_sent == 1
    assert _stage_events(committed["ticket"], "reminder") == 1


def test_the_tick_passes_a_ticket_someone_is_saving_and_takes_it_next_time(tenant, committed):
    """Another connection holds the ticket (a decision or an agent's save): the tick never waits on it."""
    from incidents.models import Incident
    from django.db import transaction

    stage = ApprovalStage.objects.get(approval=committed["approval"], order=1)
    later = stage.next_reminder_at + timedelta(seconds=1)
    locked, release, failures = threading.Event(), threading.Event(), []

    def hold_the_ticket():
        try:
            connection.set_tenant(tenant)
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=committed["ticket"].pk)
                locked.set()
                release.wait(timeout=60)
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_ticket)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert in_thread(tenant, lambda: scanner.tick(now=later)) == {}
        due = DueStage.objects.get(schema_name=tenant.schema_name, stage_id=stage.pk).due_at
        assert due == later + scanner.BUSY_DELAY
    finally:
        release.set()
        holder.join()
    assert not failures
    assert in_thread(tenant, lambda: scanner.tick(now=later + scanner.BUSY_DELAY)) == {"reminder": 1}


def test_a_decision_and_a_timeout_at_once_end_the_stage_once(tenant, committed):
    first = committed["users"][0]
    approval = committed["approval"]
    stage = ApprovalStage.objects.get(approval=approval, order=1)

    def arm_a_timeout():
        ApprovalStage.objects.filter(pk=stage.pk).update(timeout_after_hours=1, timeout_action="reject",
                                                         timeout_at=stage.next_reminder_at)
        DueStage.objects.filter(schema_name=tenant.schema_name, stage_id=stage.pk).update(due_at=stage.next_reminder_at)

    in_thread(tenant, arm_a_timeout)
    request = ApprovalRequest.objects.get(stage=stage, approver=first)
    later = stage.next_reminder_at + timedelta(seconds=1)
    results = at_once(tenant, [lambda: services.decide(request, by=first, decision="approve", via="portal"),
                               lambda: scanner.tick(now=later)])
    decided, ticked = results
    final = Approval.objects.get(pk=approval.pk)
    stage.refresh_from_db()
    if isinstance(decided, Exception):  # the timeout won: the approver is told it is over
        assert isinstance(decided, InvalidTransition) and final.state == "rejected" and stage.state == "rejected"
    else:  # the decision won: the tick found the stage over, or it passed the busy ticket by
        assert stage.state == "approved" and final.state == "pending"
        assert ticked.get("timeout", 0) == 0
    assert _stage_events(committed["ticket"], "stage_approved") + _stage_events(committed["ticket"],
                                                                                "rejected_chain") == 1
