"""What an escalation rule does when its threshold is reached. Called by the scanner, in its
transaction, with the ticket and the clock locked; each call follows a fresh ``Firing`` row
whose unique constraint guarantees it happens once per clock and rule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import connection, transaction
from django_tenants.utils import schema_context

from sla.due.models import PendingMail
from sla.models import Clock, EscalationRule, Firing
from tickets import events
from tickets.models import TimelineEntry
from tickets.services import record

logger = logging.getLogger(__name__)
Action = EscalationRule.Action
NOTIFY = {Action.NOTIFY_ASSIGNEE, Action.NOTIFY_GROUP, Action.NOTIFY_MANAGER}


def recipients(action: str, ticket) -> list:
    """Who a notify action mails, as of now."""
    group = ticket.assignment_group
    if action == Action.NOTIFY_ASSIGNEE:
        people = [ticket.assignee] if ticket.assignee_id else list(group.members.all()) if group else []
    elif action == Action.NOTIFY_GROUP:
        people = list(group.members.all()) if group else []
    elif action == Action.NOTIFY_MANAGER:
        people = [group.manager] if group and group.manager_id else []
    else:
        people = []
    return [p for p in people if p is not None and p.is_active and p.email]


# When a mail whose task never ran is sent again by the tick.
RESEND_AFTER = timedelta(minutes=5)


def notify_after_commit(firing_ids: list[int], *, now: datetime) -> None:
    """One mail task for a tenant's batch of notify firings, sent after commit, with an outbox row each.

    The tick commits and then returns to the public schema, so the task is sent inside the
    tenant's schema explicitly: its headers must carry the firings' tenant.
    """
    schema = connection.schema_name
    PendingMail.objects.bulk_create([PendingMail(schema_name=schema, firing_id=pk, due_at=now + RESEND_AFTER)
                                     for pk in firing_ids], ignore_conflicts=True)
    transaction.on_commit(partial(send, list(firing_ids), schema))


def send(firing_ids: list[int], schema: str) -> None:
    from sla.tasks import send_escalation_notifications

    with schema_context(schema):
        send_escalation_notifications.delay(firing_ids, tenant=schema)


def describe(clock: Clock, percent: int) -> str:
    what = clock.get_metric_display().lower()
    return f"SLA {what} target breached" if percent >= 100 else f"SLA warning: {percent}% of the {what} target used"


def perform(rule: EscalationRule, firing: Firing, clock: Clock, ticket) -> bool:
    """Carry out the rule on the ticket and write it on the timeline; True when someone is to be mailed."""
    changed: list[str] = []
    people = []
    if rule.action in NOTIFY:
        people = recipients(rule.action, ticket)
        done = f"notified {', '.join(str(p) for p in people)}" if people else "nobody to notify"
    elif rule.action == Action.REASSIGN:
        old = (str(ticket.assignment_group or "—"), str(ticket.assignee or "—"))
        ticket.assignment_group, ticket.assignee = rule.group, rule.assignee
        changed = ["assignment_group", "assignee"]
        done = f"reassigned from {old[0]} / {old[1]} to {rule.group}{f' / {rule.assignee}' if rule.assignee else ''}"
    elif rule.action == Action.RAISE_PRIORITY:
        if ticket.priority > 1:
            old = ticket.get_priority_display()
            ticket.priority -= 1
            changed = ["priority"]
            done = f"priority raised from {old} to {ticket.get_priority_display()}"
        else:
            done = "priority already at its highest"
    elif rule.action == Action.ADD_WATCHERS:
        users = [u for u in rule.users.all() if u.is_active]
        ticket.watchers.add(*users)
        done = f"added watchers {', '.join(str(u) for u in users)}" if users else "no active watchers to add"
    else:  # a choice added without an implementation
        raise ValueError(f"Unknown escalation action {rule.action!r}")
    if changed:
        ticket.version += 1
        ticket.save(update_fields=[*changed, "version", "updated_at"])
    record(ticket, kind=TimelineEntry.Kind.SYSTEM, body=f"{describe(clock, firing.threshold)}: {done}.",
           data={"sla": {"event": "escalation", "metric": clock.metric, "threshold": firing.threshold,
                         "action": rule.action, "firing_id": firing.pk}})
    if changed:
        events.publish(events.TicketEvent(events.UPDATED, ticket, None, {"fields": changed, "source": "sla"}))
        if "assignee" in changed and ticket.assignee_id:
            events.publish(events.TicketEvent(events.ASSIGNED, ticket, None, {"source": "sla"}))
    logger.info("sla escalation fired", extra={"tenant": connection.schema_name, "ticket": ticket.number,
                                               "metric": clock.metric, "threshold": firing.threshold,
                                               "action": rule.action, "result": done})
    return bool(people)
