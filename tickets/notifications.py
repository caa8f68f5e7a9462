"""Email notifications, driven by ticket events and sent by Celery workers.

Requester: on create, on each public agent reply, on resolution.
Assignee: on assignment, and when the requester replies.
"""

from django.db import connection

from tickets import events


def _enqueue(event: events.TicketEvent, kind: str) -> None:
    from tickets.tasks import send_ticket_notification

    ticket = event.ticket
    send_ticket_notification.delay(
        ticket._meta.label_lower,
        ticket.pk,
        kind,
        actor_id=getattr(event.actor, "pk", None),
        entry_id=event.data.get("entry_id"),
        tenant=connection.schema_name,
    )


@events.subscribe(events.CREATED)
def on_created(event):
    _enqueue(event, "created")


@events.subscribe(events.ASSIGNED)
def on_assigned(event):
    if event.ticket.assignee_id and getattr(event.actor, "pk", None) != event.ticket.assignee_id:
        _enqueue(event, "assigned")


@events.subscribe(events.REPLIED)
def on_replied(event):
    _enqueue(event, "reply_to_requester" if event.data.get("role") == "agent" else "reply_to_assignee")


@events.subscribe(events.TRANSITIONED)
def on_transitioned(event):
    if event.data.get("to") == "resolved":
        _enqueue(event, "resolved")
