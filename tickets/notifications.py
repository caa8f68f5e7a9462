"""Email notifications, driven by ticket events and sent by Celery workers.

Requester: on create, on each public agent reply, on resolution.
Assignee: on assignment, when the requester replies, and when someone else reopens the ticket.
What counts as resolution or reopening is the type's workflow's to say (``Workflow.meaning``),
not a state's name: a type whose work ends in "fulfilled" mails its requester the same way.
"""

from django.db import connection

from tickets import events
from tickets.workflow import REOPENS, RESOLVES


# The mails that go to the requester (tickets.tasks.send_ticket_notification); the others go to the assignee.
REQUESTER_KINDS = frozenset({"created", "reply_to_requester", "resolved"})


def _enqueue(event: events.TicketEvent, kind: str) -> None:
    from tickets import types
    from tickets.tasks import send_ticket_notification

    ticket = event.ticket
    if kind in REQUESTER_KINDS:
        ticket_type = types.for_model(ticket)
        if ticket_type is not None and not ticket_type.mail_requester:
            return
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
    from tickets import types

    ticket_type = types.for_model(event.ticket)
    if ticket_type is None or ticket_type.mail_on_create:
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
    meaning = type(event.ticket).workflow.meaning(event.data["from"], event.data["to"])
    if meaning == RESOLVES:
        _enqueue(event, "resolved")
    elif meaning == REOPENS and event.ticket.assignee_id and getattr(event.actor, "pk", None) != event.ticket.assignee_id:
        _enqueue(event, "reopened")
