"""Events the engine announces on the ticket, through ``tickets.events`` (inside the transaction).

Published on the locked ticket, so ``subscribe_in_transaction`` listeners (service requests)
move the ticket in the same transaction as the decision. Every event's data carries at least
``approval_id``, ``stage`` (the stage's order, None once the approval is over), ``stage_name``
and ``reason`` (a rejection's or a cancellation's) or ``comment`` (the decision's).
"""

from tickets import events

STAGE_STARTED = "approval_stage_started"
APPROVED = "approval_approved"
REJECTED = "approval_rejected"
INFO_REQUESTED = "approval_info_requested"
CANCELLED = "approval_cancelled"


def publish(name: str, ticket, actor, *, approval, stage=None, **data) -> None:
    payload = {"approval_id": approval.pk, "stage": getattr(stage, "order", None),
               "stage_name": getattr(stage, "name", ""), **data}
    events.publish(events.TicketEvent(name, ticket, actor, payload))
