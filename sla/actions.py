"""What an escalation rule does when its threshold is reached. Called by the scanner, in its
transaction, with the ticket and the clock locked; each call follows a fresh ``Firing`` row
whose unique constraint guarantees it happens once per clock and rule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from collections import defaultdict
from typing import NamedTuple

from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from core.exceptions import ValidationFailed
from sla.due.models import PendingMail
from sla.models import Clock, EscalationRule, Firing
from tickets import services as ticket_services
from tickets.models import TimelineEntry
from tickets.services import SystemActor, record

logger = logging.getLogger(__name__)
Action = EscalationRule.Action
NOTIFY = {Action.NOTIFY_ASSIGNEE, Action.NOTIFY_GROUP, Action.NOTIFY_MANAGER}
# Actions whose ticket change the SLA listener carries to every clock of the ticket (re-target, group copy).
WRITES_CLOCKS = {Action.REASSIGN, Action.RAISE_PRIORITY}
# Who escalations act as: their timeline entries read "System" and carry source "sla".
SYSTEM = SystemActor("sla")


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


def outbox(schema: str, firing_ids: list[int], *, now: datetime) -> list[PendingMail]:
    """The outbox rows of notify firings, written in the firings' transaction (the tick re-sends what stays)."""
    return [PendingMail(schema_name=schema, firing_id=pk, due_at=now + RESEND_AFTER) for pk in firing_ids]


class MailBatch:
    """The notify firings one tick committed, by tenant: sent as one message when the tick ends.

    One message per tick, not per tenant: a burst over 1,000 tenants would otherwise publish 1,000.
    The wider window between commit and enqueue is covered by the outbox rows.
    """

    def __init__(self):
        self.firings: dict[str, list[int]] = defaultdict(list)

    def add(self, firings: dict[str, list[int]]) -> None:
        for schema, ids in firings.items():
            self.firings[schema].extend(ids)

    def send(self) -> None:
        from sla.tasks import send_escalation_mail

        batch = {schema: list(ids) for schema, ids in self.firings.items() if ids}
        self.firings.clear()
        if batch:
            # Sent from public: the task visits each tenant's schema itself.
            with schema_context(get_public_schema_name()):
                send_escalation_mail.delay(batch)


def describe(clock: Clock, percent: int) -> str:
    what = clock.get_metric_display().lower()
    return f"SLA {what} target breached" if percent >= 100 else f"SLA warning: {percent}% of the {what} target used"


class Performed(NamedTuple):
    ticket: object  # the ticket as the action left it (a fresh copy when a ticket service changed it)
    notify: bool  # someone is to be mailed
    changed: bool  # the ticket's fields changed, so its clocks may have been re-targeted


def perform(rule: EscalationRule, firing: Firing, clock: Clock, ticket) -> Performed:
    """Carry out the rule on the ticket and write it on the timeline.

    Ticket changes go through ``tickets.services`` as the system actor, like anyone's: a
    timeline entry, the events (the SLA listener re-targets the clocks of a raised priority)
    and the version, in this transaction. A refusal on the merits (an assignee no longer in the
    group) is written on the timeline as the outcome; anything else (a stale version, a failing
    listener) propagates, so the tick rolls the firing back and tries again later.
    """
    people = []
    updated = ticket
    if rule.action in NOTIFY:
        people = recipients(rule.action, ticket)
        done = f"notified {', '.join(str(p) for p in people)}" if people else "nobody to notify"
    elif rule.action == Action.REASSIGN:
        old = f"{ticket.assignment_group or '—'} / {ticket.assignee or '—'}"
        new = f"{rule.group}{f' / {rule.assignee}' if rule.assignee else ''}"
        updated, refused = _update(ticket, {"assignment_group": rule.group, "assignee": rule.assignee})
        done = f"not reassigned to {new}: {refused}" if refused else f"reassigned from {old} to {new}"
    elif rule.action == Action.RAISE_PRIORITY:
        if ticket.priority > 1:
            old = ticket.get_priority_display()
            updated, refused = _update(ticket, {"priority": ticket.priority - 1})
            done = (f"priority not raised: {refused}" if refused
                    else f"priority raised from {old} to {updated.get_priority_display()}")
        else:
            done = "priority already at its highest"
    elif rule.action == Action.ADD_WATCHERS:
        users = [u for u in rule.users.all() if u.is_active]
        if users:
            updated = ticket_services.set_watchers(ticket, by=SYSTEM, watchers={*ticket.watchers.all(), *users})
        done = f"added watchers {', '.join(str(u) for u in users)}" if users else "no active watchers to add"
    else:  # a choice added without an implementation
        raise ValueError(f"Unknown escalation action {rule.action!r}")
    record(updated, kind=TimelineEntry.Kind.SYSTEM, body=f"{describe(clock, firing.threshold)}: {done}.",
           data={"sla": {"event": "escalation", "metric": clock.metric, "threshold": firing.threshold,
                         "action": rule.action, "firing_id": firing.pk}})
    logger.info("sla escalation fired", extra={"tenant": connection.schema_name, "ticket": ticket.number,
                                               "metric": clock.metric, "threshold": firing.threshold,
                                               "action": rule.action, "result": done})
    return Performed(updated, bool(people), updated.version != ticket.version)


def _update(ticket, changes: dict):
    """``update_ticket`` as the system actor on the version the tick locked; (ticket, refusal text or "")."""
    try:
        return ticket_services.update_ticket(ticket, by=SYSTEM, changes=changes, expected_version=ticket.version), ""
    except ValidationFailed as exc:
        logger.warning("sla escalation refused", extra={"tenant": connection.schema_name, "ticket": ticket.number,
                                                        "fields": exc.fields})
        return ticket, "; ".join(message for messages in exc.fields.values() for message in messages) or exc.message
