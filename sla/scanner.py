"""The SLA scanner: a frequent beat tick that fires due warnings, breaches and escalations.

No Celery ETA task per ticket (lost or re-delivered past the broker's visibility
timeout, and blind to deadline changes). Instead every running clock has one row in
the public ``DueClock`` index with its next due moment; the tick takes what is due
with ``SELECT ... FOR UPDATE SKIP LOCKED``, so its cost follows the due work, and any
number of workers can tick at once without taking the same clock twice.

Exactly once: each tenant's share (at most CHUNK_SIZE clocks) runs in one transaction
holding its due rows, tickets and clocks; a ``Firing`` row (unique per clock and rule) is
written with the action's own writes. A crash rolls that chunk back and the next tick does
it again; a commit makes it final. Mail is sent after commit by a task guarded by the
firing, with an outbox row the tick re-sends from if the task is lost. A transaction never
spans tenants: each one locks ~90 tables and indexes, and PostgreSQL's lock table is shared.

Lock order, to never deadlock with ticket writes (ticket -> clock -> due row): the tick
already holds due rows, so it takes clocks and tickets with SKIP LOCKED (a ticket being
edited is looked at again a few seconds later) and never waits. Escalations that change a
ticket (raise priority, reassign) call the ticket services, whose SLA listener re-targets all
the ticket's clocks; so before acting the tick also takes those clocks and their due rows with
SKIP LOCKED, and the services then only re-lock rows the tick already holds.
"""

from __future__ import annotations

import logging
import random
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
# Clocks of one tenant per transaction, at most this many: a transaction locks each table and
# index it touches until commit (~90 per tenant), and PostgreSQL's lock table is shared by the
# whole server, so a transaction must never span many tenants.
CHUNK_SIZE = 250
# A clock whose processing fails is retried after this, so one bad row cannot block the rest.
RETRY_DELAY = timedelta(minutes=5)
# A clock whose ticket is being saved right now is looked at again after this.
BUSY_DELAY = timedelta(seconds=5)


def tick(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, chunk_size: int = CHUNK_SIZE,
         max_rounds: int = 100) -> int:
    """Process every due clock; returns how many were processed.

    Finding due work takes no locks; each tenant's share is then locked (SKIP LOCKED) and
    processed in its own transaction. Rows another worker holds are tried once per tick.
    """
    from tenants.models import Tenant

    now = now or timezone.now()
    seen: set[tuple[str, int]] = set()
    processed = 0
    try:
        resend_lost_mail(now)
        for _ in range(max_rounds):
            connection.set_schema_to_public()
            candidates = (DueClock.objects.filter(due_at__lte=now).order_by("due_at")
                          .values_list("schema_name", "clock_id")[:batch_size + len(seen)])
            rows = [row for row in candidates if row not in seen][:batch_size]
            if not rows:
                break
            seen.update(rows)
            by_schema: dict[str, list[int]] = defaultdict(list)
            for schema, clock_id in rows:
                by_schema[schema].append(clock_id)
            tenants = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=list(by_schema))}
            # Each worker starts at its own place, so two ticking at once rarely visit the same tenant.
            order = list(by_schema.items())
            shift = random.randrange(len(order))
            for schema, clock_ids in order[shift:] + order[:shift]:
                tenant = tenants.get(schema)
                if tenant is None:  # the tenant was deleted: its index rows are orphans
                    DueClock.objects.filter(schema_name=schema, clock_id__in=clock_ids).delete()
                    continue
                while True:  # all of the tenant's due clocks, not only the ones read above
                    done = _process_chunk(tenant, chunk_size, now)
                    processed += done
                    if done < chunk_size:
                        break
    finally:
        connection.set_schema_to_public()
    return processed


def resend_lost_mail(now: datetime, *, limit: int = 1000) -> int:
    """Escalation mails committed but still unsent after ``actions.RESEND_AFTER``: enqueue them again.

    The mail task stamps each firing, so a task that was only late mails no one twice.
    """
    from sla.due.models import PendingMail
    from tenants.models import Tenant

    connection.set_schema_to_public()
    with transaction.atomic():
        rows = list(PendingMail.objects.select_for_update(skip_locked=True).filter(due_at__lte=now)
                    .order_by().values_list("pk", "schema_name", "firing_id")[:limit])
        if not rows:
            return 0
        by_schema: dict[str, list[int]] = defaultdict(list)
        for _, schema, firing_id in rows:
            by_schema[schema].append(firing_id)
        PendingMail.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(due_at=now + actions.RESEND_AFTER)
        gone = set(by_schema) - set(Tenant.objects.filter(schema_name__in=list(by_schema)).values_list("schema_name", flat=True))
        if gone:  # deleted tenants: nothing left to mail
            PendingMail.objects.filter(schema_name__in=gone).delete()
    for schema, firing_ids in by_schema.items():
        if schema in gone:
            continue
        logger.warning("sla escalation mail re-sent", extra={"tenant": schema, "firings": len(firing_ids)})
        actions.send(firing_ids, schema)
    connection.set_schema_to_public()
    return len(rows)


def _lock_due(schema: str, now: datetime, *, limit: int, clock_ids: list[int] | None = None) -> list[int]:
    """Take (SKIP LOCKED) up to ``limit`` of a tenant's due rows (the index is public: any search path)."""
    rows = DueClock.objects.select_for_update(skip_locked=True).filter(schema_name=schema, due_at__lte=now)
    if clock_ids is not None:
        rows = rows.filter(clock_id__in=clock_ids)
    return list(rows.order_by().values_list("clock_id", flat=True)[:limit])


def _process_chunk(tenant, chunk_size: int, now: datetime) -> int:
    """Up to ``chunk_size`` of one tenant's due clocks in one transaction; on failure, one transaction per clock."""
    clock_ids: list[int] = []
    try:
        try:
            with transaction.atomic():
                # Locked before switching schema: a tenant another worker has taken costs one statement.
                clock_ids = _lock_due(tenant.schema_name, now, limit=chunk_size)
                if clock_ids:
                    connection.set_tenant(tenant)
                    process_clocks(clock_ids, now=now)
                return len(clock_ids)
        except Exception:
            logger.exception("sla tick failed for a batch; retrying its clocks one by one",
                             extra={"tenant": tenant.schema_name, "clocks": len(clock_ids)})
        done = 0
        connection.set_tenant(tenant)
        for clock_id in clock_ids:
            try:
                with transaction.atomic():
                    if _lock_due(tenant.schema_name, now, limit=1, clock_ids=[clock_id]):
                        process_clocks([clock_id], now=now)
                        done += 1
            except Exception:
                logger.exception("sla clock failed; retrying later", extra={"tenant": tenant.schema_name, "clock": clock_id})
                DueClock.objects.filter(schema_name=tenant.schema_name, clock_id=clock_id).update(
                    due_at=now + RETRY_DELAY)
        # Failed clocks were put back by RETRY_DELAY: the tenant's loop must not take them again now.
        return min(done, chunk_size - 1)
    finally:
        connection.set_schema_to_public()


def process_clocks(clock_ids: list[int], *, now: datetime) -> int:
    """Fire what is due on these clocks of the current tenant (their due rows locked); returns the firings.

    Clocks and tickets are taken with SKIP LOCKED: the tick holds due rows, and ticket writes
    lock ticket -> clock -> due row, so waiting here could deadlock. A busy clock is looked at
    again shortly; the write in progress may re-arm it anyway.
    """
    schema = connection.schema_name
    # order_by(): the models' default orderings only cost SQL compilation and sorting here.
    clocks = list(Clock.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=clock_ids)
                  .select_related("calendar", "policy").order_by())
    absent = set(clock_ids) - {c.pk for c in clocks}
    busy: set[int] = set()
    if absent:
        busy = set(Clock.objects.filter(pk__in=absent).values_list("pk", flat=True))
        DueClock.objects.filter(schema_name=schema, clock_id__in=absent - busy).delete()  # clock deleted
    tickets: dict[tuple[str, int], object] = {}
    by_type: dict[str, list[int]] = defaultdict(list)
    for clock in clocks:
        by_type[clock.ticket_type].append(clock.ticket_id)
    for label, ids in by_type.items():
        locked = (apps.get_model(label).objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=ids)
                  .select_related("assignee", "assignment_group__manager").order_by())
        tickets.update({(label, t.pk): t for t in locked})
    unavailable = _lock_for_ticket_writes([c for c in clocks if (c.ticket_type, c.ticket_id) in tickets], schema)
    ready = [c for c in clocks if (c.ticket_type, c.ticket_id) in tickets and (c.ticket_type, c.ticket_id) not in unavailable]
    busy |= {c.pk for c in clocks} - {c.pk for c in ready}
    if busy:
        DueClock.objects.filter(schema_name=schema, clock_id__in=busy).update(due_at=now + BUSY_DELAY)
    if not ready:
        return 0
    fired_by_clock: dict[int, set[int]] = defaultdict(set)
    fired_rows = Firing.objects.filter(clock_id__in=[c.pk for c in ready]).order_by().values_list("clock_id", "rule_id")
    for clock_id, rule_id in fired_rows:
        fired_by_clock[clock_id].add(rule_id)
    notify: list[int] = []
    fired = 0
    # Tickets an escalation changed through the ticket services: their listeners may have re-targeted
    # any of the ticket's clocks, so the copies read above are read again before they are used.
    changed: set[tuple[str, int]] = set()
    for clock in ready:
        key = (clock.ticket_type, clock.ticket_id)
        if key in changed:
            _reload(clock, fired_by_clock[clock.pk])
        done, ticket_changed = _fire_due(clock, tickets, fired_by_clock[clock.pk], now, notify)
        fired += done
        if ticket_changed:
            changed.add(key)
        services.rearm(clock, now=now, fired_rule_ids=fired_by_clock[clock.pk])
        clock.save(update_fields=["deadline", "paused_seconds", "breached_at", "first_breached_at", "next_check_at",
                                  "updated_at"])
    for clock in ready:  # an escalation on a later clock may have re-targeted one saved earlier
        if (clock.ticket_type, clock.ticket_id) in changed:
            clock.refresh_from_db(fields=["next_check_at"])
    services.sync_due(ready)
    if notify:
        actions.notify_after_commit(notify, now=now)
    return fired


def _lock_for_ticket_writes(clocks: list[Clock], schema: str) -> set[tuple[str, int]]:
    """Tickets an escalation may change through the ticket services: lock (SKIP LOCKED) all their clocks and due rows.

    The services' SLA listener re-targets every clock of the ticket and writes their due rows.
    Waiting for one held by another worker's tick could deadlock (each holds what the other
    waits for), so they are taken here without waiting, and a ticket with one that is held is
    busy, like a ticket being saved. Afterwards the services only lock rows this transaction holds.
    Returns the busy tickets.
    """
    writing = [c for c in clocks if any(r.action in actions.WRITES_CLOCKS for r in services.rules_for(c))]
    if not writing:
        return set()
    held = {c.pk for c in clocks}
    by_type: dict[str, set[int]] = defaultdict(set)
    for clock in writing:
        by_type[clock.ticket_type].add(clock.ticket_id)
    siblings: dict[int, tuple[str, int]] = {}
    for label, ids in by_type.items():
        rows = Clock.objects.filter(ticket_type=label, ticket_id__in=ids).exclude(pk__in=held).order_by()
        siblings.update({pk: (label, ticket_id) for pk, ticket_id in rows.values_list("pk", "ticket_id")})
    if not siblings:
        return set()
    got = set(Clock.objects.select_for_update(skip_locked=True).filter(pk__in=list(siblings)).order_by()
              .values_list("pk", flat=True))
    due = DueClock.objects.filter(schema_name=schema, clock_id__in=list(got)).order_by()
    indexed = set(due.values_list("clock_id", flat=True))
    got_due = set(due.select_for_update(skip_locked=True).values_list("clock_id", flat=True)) if indexed else set()
    return {siblings[pk] for pk in siblings if pk not in got or (pk in indexed and pk not in got_due)}


def _reload(clock: Clock, fired_rule_ids: set[int]) -> None:
    """Read a clock (locked by this transaction) and its firings again after a ticket service changed them."""
    clock.refresh_from_db(from_queryset=Clock.objects.select_related("calendar", "policy"))
    fired_rule_ids.clear()
    fired_rule_ids.update(clock.firings.values_list("rule_id", flat=True))


def _fire_due(clock: Clock, tickets: dict, fired_rule_ids: set[int], now: datetime, notify: list[int]) -> tuple[int, bool]:
    """Fire the clock's due thresholds; returns the firings and whether an escalation changed the ticket.

    An escalation that changes the ticket (raise priority, reassign) goes through the ticket
    services, whose SLA listener may re-target this clock; it is then read again and its
    thresholds looked at afresh, on the new deadline. That ends: each pass fires a new rule,
    and a re-target only un-fires rules whose moment it moved into the future.
    """
    if clock.state != Clock.State.RUNNING:
        return 0, False
    key = (clock.ticket_type, clock.ticket_id)
    fired, ticket_changed = 0, False
    while True:
        result = None
        rules = services.rules_for(clock)
        for percent in services.thresholds(clock):
            moment = services.threshold_moment(clock, percent)
            if moment > now:
                break
            if percent >= services.BREACH and clock.breached_at is None:
                services.mark_breached(clock)
                if not any(r.threshold == percent for r in rules):
                    record(tickets[key], kind=TimelineEntry.Kind.SYSTEM, body=f"{actions.describe(clock, percent)}.",
                           data={"sla": {"event": "breached", "metric": clock.metric}})
            for rule in rules:
                if rule.threshold != percent or rule.pk in fired_rule_ids:
                    continue
                if rule.action in actions.WRITES_CLOCKS:
                    # The services' listeners read this clock from the database: what is marked here must be there.
                    clock.save(update_fields=["breached_at", "first_breached_at", "updated_at"])
                firing = Firing.objects.create(clock=clock, rule=rule, threshold=percent, action=rule.action, fired_at=now)
                result = actions.perform(rule, firing, clock, tickets[key])
                tickets[key] = result.ticket
                if result.notify:
                    notify.append(firing.pk)
                fired_rule_ids.add(rule.pk)
                fired += 1
                if result.changed:
                    break
            if result is not None and result.changed:
                break
        if result is None or not result.changed:
            return fired, ticket_changed
        ticket_changed = True
        _reload(clock, fired_rule_ids)
        if clock.state != Clock.State.RUNNING:
            return fired, ticket_changed
