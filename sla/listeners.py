"""Ticket events -> SLA clocks. Runs inside the ticket write's transaction (``subscribe_in_transaction``).

- created: attach the matching policy's clocks;
- transitioned: pause in the policy's waiting states, resume out of them, stop on
  resolution (met or breached), cancel on cancellation, resume resolution on re-open;
- replied: the first public agent reply stops the response clock and any next-reply
  clock; a requester's reply after that starts the next-reply clock;
- updated: priority or matching fields re-target the clocks; a new group is copied for reports.

Escalations change tickets through the same services (as ``tickets.services.SystemActor``), so a
priority they raise re-targets the clocks like anyone's.
"""

from django.utils import timezone

from sla import services
from sla.models import Clock, Metric
from tickets import events

RETARGET_FIELDS = {"priority", "impact", "urgency", "category", "channel", "requester"}


@events.subscribe_in_transaction(events.CREATED)
def on_created(event):
    services.attach(event.ticket)


@events.subscribe_in_transaction(events.TRANSITIONED)
def on_transitioned(event):
    ticket, now = event.ticket, timezone.now()
    source, target = event.data.get("from"), event.data.get("to")
    clocks = services.ticket_clocks(ticket)
    if not clocks:
        return
    workflow = ticket.workflow
    if target not in workflow.open_states:
        # Straight from open to final without a resolution: cancelled, neither met nor breached; unless the
        # final state is a closed one, which means the work was done (a fulfilment task's "done").
        cancelled = target in workflow.final and target not in workflow.closed and source in workflow.open_states
        services.stop(ticket, clocks, now=now, cancelled=cancelled)
        return
    if source not in workflow.open_states:  # re-opened
        services.reopen(ticket, [c for c in clocks if c.metric == Metric.RESOLUTION], now=now)  # updates them in place
    if target in services.pause_states(clocks[0].policy, ticket):
        services.pause(ticket, clocks, now=now)
    elif any(c.state == Clock.State.PAUSED for c in clocks):
        services.resume(ticket, clocks, now=now)


@events.subscribe_in_transaction(events.REPLIED)
def on_replied(event):
    ticket, now = event.ticket, timezone.now()
    if event.data.get("role") == "agent":
        clocks = services.ticket_clocks(ticket, metrics=[Metric.RESPONSE, Metric.NEXT_REPLY])
        services.stop(ticket, clocks, now=now)
        return
    if not ticket.is_open or ticket.first_response_at is None:
        return
    clocks = services.ticket_clocks(ticket)
    if clocks:
        services.restart(ticket, clocks[0].policy, Metric.NEXT_REPLY, now=now)


@events.subscribe_in_transaction(events.UPDATED)
def on_updated(event):
    fields = set(event.data.get("fields", ()))
    if "assignment_group" in fields:
        services.set_group(event.ticket)
    if fields & RETARGET_FIELDS:
        services.recompute(event.ticket)
