"""The SLA scanner: a frequent beat tick that fires due warnings, breaches and escalations.

No Celery ETA task per ticket (lost or re-delivered past the broker's visibility
timeout, and blind to deadline changes). Instead every running clock has one row in
the public ``DueClock`` index with its next due moment; the tick takes what is due
with ``SELECT ... FOR UPDATE SKIP LOCKED``, so its cost follows the due work, and any
number of workers can tick at once without taking the same clock twice.

Exactly once: a batch runs in one transaction holding the due rows, the tickets and
the clocks; a ``Firing`` row (unique per clock and rule) is written with the action's
own writes. A crash rolls all of it back and the next tick does it again; a commit
makes it final. Notifications are mailed after commit by a task guarded by the firing.

Lock order, to never deadlock with ticket writes (ticket -> clock -> due row): the
tick already holds due rows, so it takes tickets with SKIP LOCKED (a ticket being
edited is simply retried next tick) and only then its clocks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from sla import actions, services
from sla.due.models import DueClock
from sla.models import Clock, Firing
from tickets.models import TimelineEntry
from tickets.services import record

logger = logging.getLogger(__name__)
BATCH_SIZE = 500
# A clock whose processing fails is retried after this, so one bad row cannot block the rest.
RETRY_DELAY = timedelta(minutes=5)
# A clock whose ticket is being saved right now is looked at again after this.
BUSY_DELAY = timedelta(seconds=5)


def tick(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = 20) -> int:
    """Process every due clock (up to ``max_batches`` batches); returns how many due rows were taken."""
    now = now or timezone.now()
    total = 0
    for _ in range(max_batches):
        taken = _run_batch(now, batch_size)
        total += taken
        if taken < batch_size:
            break
    return total


def _run_batch(now: datetime, batch_size: int) -> int:
    from tenants.models import Tenant

    connection.set_schema_to_public()
    try:
        with transaction.atomic():
            rows = list(DueClock.objects.select_for_update(skip_locked=True).filter(due_at__lte=now)
                        .order_by("due_at").values_list("schema_name", "clock_id")[:batch_size])
            if not rows:
                return 0
            by_schema: dict[str, list[int]] = defaultdict(list)
            for schema, clock_id in rows:
                by_schema[schema].append(clock_id)
            tenants = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=list(by_schema))}
            for schema, clock_ids in by_schema.items():
                tenant = tenants.get(schema)
                if tenant is None:  # the tenant was deleted: its index rows are orphans
                    DueClock.objects.filter(schema_name=schema, clock_id__in=clock_ids).delete()
                    continue
                connection.set_tenant(tenant)
                _process_tenant(clock_ids, now)
                connection.set_schema_to_public()
            return len(rows)
    finally:
        connection.set_schema_to_public()


def _process_tenant(clock_ids: list[int], now: datetime) -> None:
    try:
        with transaction.atomic():
            process_clocks(clock_ids, now=now)
    except Exception:
        logger.exception("sla tick failed for a batch; retrying its clocks one by one",
                         extra={"tenant": connection.schema_name, "clocks": len(clock_ids)})
        for clock_id in clock_ids:
            try:
                with transaction.atomic():
                    process_clocks([clock_id], now=now)
            except Exception:
                logger.exception("sla clock failed; retrying later",
                                 extra={"tenant": connection.schema_name, "clock": clock_id})
                DueClock.objects.filter(schema_name=connection.schema_name, clock_id=clock_id).update(
                    due_at=now + RETRY_DELAY)


def process_clocks(clock_ids: list[int], *, now: datetime) -> int:
    """Fire what is due on these clocks of the current tenant; returns how many firings happened."""
    plain = list(Clock.objects.filter(pk__in=clock_ids).values_list("pk", "ticket_type", "ticket_id"))
    known = {pk for pk, _, _ in plain}
    missing = [pk for pk in clock_ids if pk not in known]
    if missing:
        DueClock.objects.filter(schema_name=connection.schema_name, clock_id__in=missing).delete()
    tickets: dict[tuple[str, int], object] = {}
    by_type: dict[str, list[int]] = defaultdict(list)
    for _, label, ticket_id in plain:
        by_type[label].append(ticket_id)
    for label, ids in by_type.items():
        model = apps.get_model(label)
        locked = (model.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=ids)
                  .select_related("assignee", "assignment_group__manager", "requester"))
        tickets.update({(label, t.pk): t for t in locked})
    ready = [pk for pk, label, ticket_id in plain if (label, ticket_id) in tickets]
    busy = [pk for pk, label, ticket_id in plain if (label, ticket_id) not in tickets]
    if busy:  # the save in progress re-arms the clock itself, or the next look finds it free
        DueClock.objects.filter(schema_name=connection.schema_name, clock_id__in=busy).update(due_at=now + BUSY_DELAY)
    if not ready:
        return 0
    clocks = list(Clock.objects.select_for_update(of=("self",)).filter(pk__in=ready)
                  .select_related("calendar", "policy").prefetch_related("policy__escalations__users"))
    fired_by_clock: dict[int, set[int]] = defaultdict(set)
    for clock_id, rule_id in Firing.objects.filter(clock_id__in=ready).values_list("clock_id", "rule_id"):
        fired_by_clock[clock_id].add(rule_id)
    policies = {}
    fired = 0
    for clock in clocks:
        # One policy object per id, so its rules are grouped once per batch.
        clock.policy = policies.setdefault(clock.policy_id, clock.policy)
        ticket = tickets[(clock.ticket_type, clock.ticket_id)]
        fired += _fire_due(clock, ticket, fired_by_clock[clock.pk], now)
        services.rearm(clock, now=now, fired_rule_ids=fired_by_clock[clock.pk])
        clock.save(update_fields=["deadline", "paused_seconds", "breached_at", "next_check_at", "updated_at"])
    services.sync_due(clocks)
    return fired


def _fire_due(clock: Clock, ticket, fired_rule_ids: set[int], now: datetime) -> int:
    if clock.state != Clock.State.RUNNING:
        return 0
    fired = 0
    rules = services._rules(clock)
    for percent in services.thresholds(clock):
        moment = services.threshold_moment(clock, percent)
        if moment > now:
            break
        if percent >= services.BREACH and clock.breached_at is None:
            clock.breached_at = clock.deadline
            if not any(r.threshold == percent for r in rules):
                record(ticket, kind=TimelineEntry.Kind.SYSTEM, body=f"{actions.describe(clock, percent)}.",
                       data={"sla": {"event": "breached", "metric": clock.metric}})
        for rule in rules:
            if rule.threshold != percent or rule.pk in fired_rule_ids:
                continue
            firing = Firing.objects.create(clock=clock, rule=rule, threshold=percent, action=rule.action, fired_at=now)
            actions.perform(rule, firing, clock, ticket)
            fired_rule_ids.add(rule.pk)
            fired += 1
    return fired
