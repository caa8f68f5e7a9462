"""A requested item's way from the order to "fulfilled", through the shared engines.

- Ordered: an item whose catalogue item names an approval chain starts "awaiting approval" and its
  chain starts in the same transaction (``approvals.services.start_approval``); one without goes
  straight to fulfilment.
- Approved (``approvals.events.APPROVED``): the item moves to "in fulfilment" as the system and
  its catalogue item's fulfilment tasks are created (``fulfilment.services.create_tasks``), in the
  transaction of the decision that approved it. Rejected: the item is rejected with the reason.
- Its tasks all finished (``fulfilment.events.TASKS_DONE``) with at least one done: the item is
  fulfilled, in the transaction of the last task's transition. If every task was cancelled, the
  item stays in fulfilment for an agent to decide.
- Rejected or cancelled by anyone: its unfinished tasks are cancelled and a pending approval is
  withdrawn, with the item.

Every listener runs inside the writer's transaction on the locked item (``subscribe_in_transaction``),
so the item never disagrees with its approval or its tasks. Lock order: the item, then its approval or
its tasks (the engines' own orders start from the ticket).
"""

from __future__ import annotations

from django.utils import timezone

from approvals import events as approval_events
from approvals import services as approval_services
from approvals.models import Approval
from fulfilment import events as task_events
from fulfilment import services as task_services
from service_requests.models import RequestedItem
from service_requests.workflow import AWAITING_APPROVAL, CANCELLED, IN_FULFILMENT, REJECTED
from sla import business_time
from sla.models import Calendar, Clock, Metric
from sla.queries import schedule_for
from tickets import events
from tickets import services as ticket_services
from tickets.models import ticket_type_label

APPROVALS = ticket_services.SystemActor("approvals")
FULFILMENT = ticket_services.SystemActor("service_requests")


def initial_state(catalog_item) -> str:
    return AWAITING_APPROVAL if catalog_item.approval_chain_id else IN_FULFILMENT


def ordered(item: RequestedItem, *, by) -> None:
    """Called once the item exists, in the order's transaction: its approval, or its tasks."""
    chain = item.catalog_item.approval_chain
    if chain is not None:
        # May approve at once (every stage skipped); the item is new in this transaction.
        approval_services.start_approval(item, chain, by=by, new_ticket=True)
    else:
        start_fulfilment(item)


def _calendar(item: RequestedItem) -> Calendar:
    """Task due dates count the business hours of the item's own SLA clock, else round the clock."""
    clock = (Clock.objects.filter(ticket_type=ticket_type_label(item), ticket_id=item.pk, metric=Metric.RESOLUTION)
             .select_related("calendar").first())
    return clock.calendar if clock else Calendar.objects.get(is_24x7=True)


def task_specs(item: RequestedItem, *, now=None) -> list[task_services.TaskSpec]:
    """The catalogue item's fulfilment template as tasks of this item, due in business hours from now."""
    templates = list(item.catalog_item.task_templates.select_related("assignment_group").order_by("step", "pk"))
    if not templates:
        return []
    now = now or timezone.now()
    schedule = schedule_for(_calendar(item)) if any(t.due_in_hours for t in templates) else None
    return [task_services.TaskSpec(
        title=template.title, description=template.description, assignment_group=template.assignment_group,
        step=template.step,
        due_at=business_time.add(schedule, now, template.due_in_hours * 3600) if template.due_in_hours else None)
        for template in templates]


def start_fulfilment(item: RequestedItem) -> list:
    specs = task_specs(item)
    return task_services.create_tasks(item, specs, by=FULFILMENT) if specs else []


@events.subscribe_in_transaction(approval_events.APPROVED)
def fulfil_when_approved(event) -> None:
    item = event.ticket
    if isinstance(item, RequestedItem) and item.state == AWAITING_APPROVAL:
        item = ticket_services.transition(item, "approve", by=APPROVALS, comment="Approved: fulfilment starts.")
        start_fulfilment(item)


@events.subscribe_in_transaction(approval_events.REJECTED)
def reject_when_rejected(event) -> None:
    item = event.ticket
    if isinstance(item, RequestedItem) and item.state in RequestedItem.workflow.open_states:
        reason = (event.data.get("reason") or "Rejected by the approver.").strip()
        ticket_services.transition(item, "reject", by=APPROVALS, fields={"rejection_reason": reason[:300]})


@events.subscribe_in_transaction(task_events.TASKS_DONE)
def fulfilled_when_tasks_done(event) -> None:
    item = event.ticket
    if isinstance(item, RequestedItem) and item.state == IN_FULFILMENT and event.data.get("done"):
        ticket_services.transition(item, "fulfil", by=FULFILMENT, comment="Every fulfilment task is finished.")


@events.subscribe_in_transaction(events.TRANSITIONED)
def withdraw_when_abandoned(event) -> None:
    item = event.ticket
    if not isinstance(item, RequestedItem) or event.data.get("to") not in (REJECTED, CANCELLED):
        return
    reason = item.rejection_reason or item.cancel_reason or f"The item was {item.state_label.lower()}."
    task_services.cancel_open_tasks(item, by=FULFILMENT, reason=reason)
    if Approval.objects.filter(ticket_type=ticket_type_label(item), ticket_id=item.pk,
                               state=Approval.State.PENDING).exists():
        approval_services.cancel_approval(item, by=FULFILMENT, reason=reason)
