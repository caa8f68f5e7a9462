"""A notification task that runs twice (Celery redelivered it) sends its mail once."""

import pytest
from django.db import connection

from tests.factories import make_incident
from tickets.models import NotificationDelivery
from tickets.tasks import send_ticket_notification


def _run(incident, task_id, kind="created"):
    return send_ticket_notification.apply(("incidents.incident", incident.pk, kind),
                                          {"tenant": connection.schema_name}, task_id=task_id)


def test_a_redelivered_task_sends_nothing_the_second_time(tenant, requester, mailoutbox):
    incident = make_incident(by=requester, title="Redelivered mail probe")
    mailoutbox.clear()
    _run(incident, "task-1")
    _run(incident, "task-1")
    assert [m.subject for m in mailoutbox] == [f"[{incident.number}] We have received your request: "
                                               "Redelivered mail probe"]
    # A copy sent again after a crash (between the mail server's accept and the commit) is the same message.
    sender_domain = mailoutbox[0].from_email.rpartition("@")[2]
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<notification.task-1@{sender_domain}>"
    delivery = NotificationDelivery.objects.get(task_id="task-1")
    assert (delivery.ticket_type, delivery.ticket_id, delivery.kind, delivery.recipient) == (
        "incidents.incident", incident.pk, "created", requester.email)


def test_two_tasks_for_the_same_event_are_two_mails(tenant, requester, mailoutbox):
    """The guard is the task, not the ticket: a second 'created' task is a second message."""
    incident = make_incident(by=requester)
    mailoutbox.clear()
    _run(incident, "task-a")
    _run(incident, "task-b")
    assert len(mailoutbox) == 2


def test_a_failed_send_leaves_no_delivery_so_the_retry_sends(tenant, requester, mailoutbox, monkeypatch):
    incident = make_incident(by=requester)
    mailoutbox.clear()
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    calls = []

    def flaky_send(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("mail server went away")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky_send)
    with pytest.raises(OSError):
        _run(incident, "task-flaky")
    assert not NotificationDelivery.objects.filter(task_id="task-flaky").exists()
    _run(incident, "task-flaky")
    assert len(mailoutbox) == 1 and NotificationDelivery.objects.filter(task_id="task-flaky").count() == 1


def test_deliveries_are_per_tenant(tenant, requester, in_other_tenant, mailoutbox):
    incident = make_incident(by=requester)
    _run(incident, "task-iso")
    with in_other_tenant():
        assert not NotificationDelivery.objects.filter(task_id="task-iso").exists()
