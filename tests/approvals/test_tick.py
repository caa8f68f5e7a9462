"""Reminders and timeouts in business hours of the stage's calendar, fired once by the beat tick."""

import re
from datetime import timedelta

import pytest
from django.db import connection

from approvals import scanner, services, tasks
from approvals.due.models import DueStage, PendingMail
from approvals.models import Approval, ApprovalStage
from tests.approvals.conftest import approval_events, at, pending_requests
from tests.factories import AgentFactory, make_incident
from tests.sla.conftest import local, office_hours
from tickets.models import NotificationDelivery


@pytest.fixture
def office(tenant):
    return office_hours()


def tick(tenant, moment, capture):
    with capture(execute=True), at(moment):
        done = scanner.tick()
    assert connection.schema_name == "public"
    connection.set_tenant(tenant)
    return done


def start(ticket, chain, by, moment, capture):
    with capture(execute=True), at(moment):
        return services.start_approval(ticket, chain, by=by)


def test_reminders_then_auto_reject_in_business_hours(tenant, employee, manager, office, make_chain, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    chain = make_chain({"kind": "manager", "name": "Manager", "calendar": office, "reminder_after_hours": 2,
                        "timeout_after_hours": 4, "timeout_action": "reject"})
    ticket = make_incident(by=employee)
    approval = start(ticket, chain, employee, local(2026, 11, 27, 16, 0), capture)  # a Friday, 1 h before closing
    stage = approval.stages.get()
    assert stage.next_reminder_at == local(2026, 11, 30, 10, 0) and stage.timeout_at == local(2026, 11, 30, 12, 0)
    assert DueStage.objects.get(schema_name=tenant.schema_name, stage_id=stage.pk).due_at == local(2026, 11, 30, 10, 0)
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert tick(tenant, local(2026, 11, 29, 20, 0), capture) == {}  # the weekend counts for nothing
    assert tick(tenant, local(2026, 11, 30, 10, 0), capture) == {"reminder": 1}
    assert tick(tenant, local(2026, 11, 30, 10, 0), capture) == {}  # ticked again: nothing twice
    assert [m.subject.split("]")[1].split(":")[0].strip() for m in mailoutbox] == ["Approval needed", "Reminder"]
    stage.refresh_from_db()
    assert stage.reminders_sent == 1 and stage.next_reminder_at == local(2026, 11, 30, 12, 0)
    assert tick(tenant, local(2026, 11, 30, 12, 0), capture) == {"timeout": 1}
    approval.refresh_from_db()
    assert approval.state == "rejected" and approval.reason == "No decision within 4 business hours."
    assert not DueStage.objects.filter(stage_id=stage.pk, schema_name=tenant.schema_name).exists()
    assert len(mailoutbox) == 2  # no reminder for a rejected stage
    assert approval_events(ticket)[-2:] == ["reminder", "rejected_chain"]


def test_timeout_escalates_to_a_named_person_who_then_decides(tenant, employee, manager, office, make_chain,
                                                              mailoutbox, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    director = AgentFactory(full_name="Dan Director")
    chain = make_chain({"kind": "manager", "calendar": office, "timeout_after_hours": 8, "timeout_action": "escalate",
                        "escalate_to": director})
    approval = start(make_incident(by=employee), chain, employee, local(2026, 11, 30, 9, 0), capture)
    assert tick(tenant, local(2026, 11, 30, 16, 59), capture) == {}
    assert tick(tenant, local(2026, 11, 30, 17, 0), capture) == {"escalated": 1}
    assert tick(tenant, local(2026, 12, 1, 9, 0), capture) == {}
    assert mailoutbox[-1].to == [director.email] and "Escalated to you" in mailoutbox[-1].subject
    escalation = [r for r in pending_requests(approval) if r.approver == director][0]
    assert escalation.is_escalation
    services.decide(escalation, by=director, decision="approve", via="email")
    assert Approval.objects.get(pk=approval.pk).state == "approved"


def test_a_redelivered_tick_task_fires_nothing_again(tenant, employee, make_chain, office, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    chain = make_chain({"kind": "manager", "calendar": office, "reminder_after_hours": 1})
    start(make_incident(by=employee), chain, employee, local(2026, 11, 30, 9, 0), capture)
    with capture(execute=True), at(local(2026, 11, 30, 10, 0)):
        assert tasks.approvals_tick.apply(task_id="tick-1").result == 1
        assert tasks.approvals_tick.apply(task_id="tick-1").result == 0
    connection.set_tenant(tenant)
    assert len(mailoutbox) == 2


def test_a_redelivered_mail_task_sends_once(tenant, employee, manager, make_chain, mailoutbox):
    # The test's transaction never commits: the stage-start task was not enqueued, its outbox row waits.
    approval = services.start_approval(make_incident(by=employee), make_chain({"kind": "manager"}), by=employee)
    [request] = pending_requests(approval)
    assert PendingMail.objects.filter(schema_name=tenant.schema_name, request_id=request.pk,
                                      kind="stage_started").exists()
    for _ in range(2):
        tasks.send_approval_mail.apply(([request.pk], "stage_started"), {"tenant": tenant.schema_name},
                                       task_id="mail-1")
    assert len(mailoutbox) == 1
    assert NotificationDelivery.objects.filter(task_id=f"mail-1:{request.pk}", kind="approval_stage_started").count() == 1
    assert not PendingMail.objects.filter(request_id=request.pk).exists()
    link = re.search(r"https?://[^/\s]+(/approvals/link/\S+/)", mailoutbox[0].body).group(1)
    assert link.startswith("/approvals/link/")
    assert tasks.send_approval_mail.apply(([request.pk], "stage_started"), {"tenant": "beta"}, task_id="x").result == 0


def test_a_lost_mail_task_is_enqueued_again_by_the_tick_and_a_late_one_mails_nobody_twice(
        tenant, employee, manager, make_chain, mailoutbox, django_capture_on_commit_callbacks):
    with at(local(2026, 11, 30, 9, 0)):
        approval = services.start_approval(make_incident(by=employee), make_chain({"kind": "manager"}), by=employee)
    [request] = pending_requests(approval)  # committed, but the worker died before enqueueing: no mail yet
    assert mailoutbox == []
    assert tick(tenant, local(2026, 11, 30, 9, 4), django_capture_on_commit_callbacks) == {}
    assert mailoutbox == []
    assert tick(tenant, local(2026, 11, 30, 9, 5), django_capture_on_commit_callbacks) == {"mail resent": 1}
    assert [m.to for m in mailoutbox] == [[manager.email]]
    # The original task turns up late: the outbox row is gone, so it mails no one.
    assert tasks.send_approval_mail.apply(([request.pk], "stage_started"), {"tenant": tenant.schema_name},
                                          task_id="late").result == 0
    assert len(mailoutbox) == 1
    assert tick(tenant, local(2026, 11, 30, 9, 20), django_capture_on_commit_callbacks) == {}


def test_mail_goes_to_the_delegate_while_the_approver_is_away(tenant, employee, manager, make_chain, mailoutbox,
                                                             django_capture_on_commit_callbacks):
    from datetime import date

    from approvals import delegation
    from tests.factories import RequesterFactory

    deputy = RequesterFactory()
    delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 4))
    start(make_incident(by=employee), make_chain({"kind": "manager"}), employee, local(2026, 12, 1, 9, 0),
          django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[deputy.email]]
    assert f"in place of {manager}" in mailoutbox[0].body


def test_a_ticket_being_saved_is_looked_at_again_shortly(tenant, employee, make_chain, office, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    """The tick never waits on a ticket lock: a ticket it cannot take now is pushed by BUSY_DELAY."""
    capture = django_capture_on_commit_callbacks
    chain = make_chain({"kind": "manager", "calendar": office, "reminder_after_hours": 1})
    approval = start(make_incident(by=employee), chain, employee, local(2026, 11, 30, 9, 0), capture)
    stage = approval.stages.get()
    real = scanner.apps.get_model

    class _NoRows:
        def __init__(self, model):
            self.model = model

        def select_for_update(self, **kwargs):
            return self.model.objects.none()

    class Busy:  # another transaction holds every ticket: SKIP LOCKED returns none of them
        def __init__(self, model):
            self.objects = _NoRows(model)

    monkeypatch.setattr(scanner.apps, "get_model", lambda label: Busy(real(label)))
    assert tick(tenant, local(2026, 11, 30, 10, 0), capture) == {}
    monkeypatch.undo()
    due = DueStage.objects.get(schema_name=tenant.schema_name, stage_id=stage.pk).due_at
    assert due == local(2026, 11, 30, 10, 0) + scanner.BUSY_DELAY
    assert tick(tenant, local(2026, 11, 30, 10, 0) + timedelta(seconds=5), capture) == {"reminder": 1}
    assert ApprovalStage.objects.get(pk=stage.pk).reminders_sent == 1


def test_one_mail_task_per_kind_for_a_tick_over_many_stages(tenant, employee, make_chain, office, monkeypatch,
                                                            mailoutbox, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    chain = make_chain({"kind": "manager", "calendar": office, "reminder_after_hours": 1})
    for _ in range(3):
        start(make_incident(by=employee), chain, employee, local(2026, 11, 30, 9, 0), capture)
    sent = []
    real = tasks.send_approval_mail.delay
    monkeypatch.setattr(tasks.send_approval_mail, "delay", lambda ids, kind, **kw: sent.append((kind, len(ids)))
                        or real(ids, kind, **kw))
    mailoutbox.clear()
    assert tick(tenant, local(2026, 11, 30, 10, 0), capture) == {"reminder": 3}
    assert sent == [("reminder", 3)]
    assert len(mailoutbox) == 3
