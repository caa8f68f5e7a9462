"""The requester's public reply answers the questions approvers asked them (inside the reply's transaction)."""

from approvals import services
from tickets import events


@events.subscribe_in_transaction(events.REPLIED)
def on_replied(event):
    ticket, actor = event.ticket, event.actor
    if getattr(actor, "pk", None) is None or actor.pk != ticket.requester_id:
        return
    services.answer_info_requests(ticket, by=actor)
