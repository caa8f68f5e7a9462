"""The SLA scanner: a frequent beat tick that fires due warnings, breaches and escalations.

No Celery ETA task per ticket (lost or re-delivered past the broker's visibility
timeout, and blind to deadline changes). Instead every running clock has one row in
the public ``DueClock`` index with its next due moment; the tick takes what is due
with ``SELECT ... FOR UPDATE SKIP LOCKED``, so its cost follows the due work, and any
number of workers can tick at once without taking the same clock twice.

Exactly once: the due work of a group of tenants (at most GROUP_TENANTS tenants and CHUNK_SIZE
clocks) runs in one transaction holding its due rows, tickets and clocks; a ``Firing`` row
(unique per clock and rule) is written with the action's own writes. A crash rolls the whole
group back and the next tick does it again; a commit makes it final. A group that fails is
retried tenant by tenant, then clock by clock, so one bad row holds up no one else. Mail is
sent after commit by a task guarded by the firing: one message per tick for all tenants, with
an outbox row per firing that the tick re-sends from if the message is lost. A group is small
because each tenant's share locks ~75-95 tables and indexes until commit, and PostgreSQL's
lock table is shared by the whole server.

Clocks whose due rules only notify (the common case) are fired set-based (``sla.burst``): per
tenant one INSERT of the firings, one of the timeline entries, one UPDATE of the clocks; the
group's due rows and outbox rows are written once for all its tenants. Rules that change the
ticket go through the ticket services one ticket at a time (``_fire_per_ticket``).

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
from functools import partial

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import OuterRef
from django.utils import timezone

from sla import actions, burst, services
from sla.due.models import DueClock
from sla.models import Clock, Firing
from tickets.models import TimelineEntry
from tickets.services import record

logger = logging.getLogger(__name__)
BATCH_SIZE = 500
# Due clocks per transaction, at most this many (of one tenant, or of a group of tenants).
CHUNK_SIZE = 250
# Tenants per transaction, at most this many. A transaction locks each table and index it touches
# until commit, and PostgreSQL's lock table is shared by the whole server (max_locks_per_transaction
# x max_connections: 6,400 by default). One tenant's share takes ~75-95 relation locks (measured by
# bench/sla_locks.py: 659 for 8 tenants, 1,225 for 16), so 8 keep a tick's transaction near 10% of
# the table, two workers ticking at once near 20%. Grouping is what makes a burst over many
# tenants cheap: one commit and one write of the public rows per group instead of per tenant.
GROUP_TENANTS = 8
# A clock whose processing fails is retried after this, so one bad row cannot block the rest.
RETRY_DELAY = timedelta(minutes=5)
# A clock whose ticket is being saved right now is looked at again after this.
BUSY_DELAY = timedelta(seconds=5)


def tick(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, chunk_size: int = CHUNK_SIZE,
         group_tenants: int = GROUP_TENANTS, max_rounds: int = 100) -> int:
    """Process every due clock; returns how many were processed.

    Finding due work takes no locks; groups of tenants are then locked (SKIP LOCKED) and processed,
    each group in its own transaction. Rows another worker holds are tried once per tick. The
    notify firings of the whole tick go out as one message when it ends.
    """
    from tenants.models import Tenant

    now = now or timezone.now()
    seen: set[tuple[str, int]] = set()
    processed = 0
    mail = actions.MailBatch()
    try:
        resend_lost_mail(now, mail)
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
            orphans = [(schema, ids) for schema, ids in by_schema.items() if schema not in tenants]
            for schema, clock_ids in orphans:  # the tenant was deleted: its index rows are orphans
                DueClock.objects.filter(schema_name=schema, clock_id__in=clock_ids).delete()
            # Each worker starts at its own place, so two ticking at once rarely visit the same tenants.
            order = [tenants[schema] for schema in by_schema if schema in tenants]
            shift = random.randrange(len(order)) if order else 0
            order = order[shift:] + order[:shift]
            for start in range(0, len(order), group_tenants):
                group = order[start:start + group_tenants]
                while True:  # all of the group's due clocks, not only the ones read above
                    done, full = _process_group(group, chunk_size, now, mail)
                    processed += done
                    if not full:
                        break
    finally:
        connection.set_schema_to_public()
        # After the commits above; in a test's transaction, after its captured callbacks.
        transaction.on_commit(mail.send, robust=True)
    return processed


def resend_lost_mail(now: datetime, mail: actions.MailBatch, *, limit: int = 1000) -> int:
    """Escalation mails committed but still unsent after ``actions.RESEND_AFTER``: into this tick's message.

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
        if schema not in gone:
            logger.warning("sla escalation mail re-sent", extra={"tenant": schema, "firings": len(firing_ids)})
    mail.add({schema: ids for schema, ids in by_schema.items() if schema not in gone})
    return len(rows)


def _lock_due(schema: str, now: datetime, *, limit: int, clock_ids: list[int] | None = None) -> list[int]:
    """Take (SKIP LOCKED) up to ``limit`` of a tenant's due rows (the index is public: any search path)."""
    rows = DueClock.objects.select_for_update(skip_locked=True).filter(schema_name=schema, due_at__lte=now)
    if clock_ids is not None:
        rows = rows.filter(clock_id__in=clock_ids)
    return list(rows.order_by().values_list("clock_id", flat=True)[:limit])


def _commit_writes(writes: burst.Writes, now: datetime, mail: actions.MailBatch) -> None:
    """The transaction's public rows, and its notify firings into the tick's message once it commits."""
    writes.flush(now)
    if writes.mail:
        transaction.on_commit(partial(mail.add, {schema: list(ids) for schema, ids in writes.mail.items()}))


def _process_group(tenants: list, chunk_size: int, now: datetime, mail: actions.MailBatch) -> tuple[int, bool]:
    """Up to ``chunk_size`` due clocks of these tenants in one transaction; (processed, whether the chunk was full).

    On failure the group is rolled back whole and each tenant is retried alone (``_process_chunk``),
    so one bad tenant costs the others one retry, never a firing. It may end in its last tenant's
    schema: the due index and outbox are public, visible from any, and ``tick`` ends in public.
    """
    try:
        with transaction.atomic():
            # One statement for the group's due rows (the index is public: any search path will do).
            taken = burst.lock_due([t.schema_name for t in tenants], now, limit=chunk_size)
            writes = burst.Writes()
            for tenant in tenants:
                if taken.get(tenant.schema_name):
                    connection.set_tenant(tenant)
                    process_clocks(taken[tenant.schema_name], now=now, writes=writes)
            _commit_writes(writes, now, mail)
        done = sum(len(ids) for ids in taken.values())
        return done, done >= chunk_size
    except Exception:
        logger.exception("sla tick failed for a group of tenants; retrying them one by one",
                         extra={"tenants": [t.schema_name for t in tenants]})
    done = 0
    for tenant in tenants:
        while True:
            taken_now = _process_chunk(tenant, chunk_size, now, mail)
            done += taken_now
            if taken_now < chunk_size:
                break
    return done, False


def _process_chunk(tenant, chunk_size: int, now: datetime, mail: actions.MailBatch) -> int:
    """Up to ``chunk_size`` of one tenant's due clocks in one transaction; on failure, one transaction per clock."""
    clock_ids: list[int] = []
    try:
        try:
            with transaction.atomic():
                # Locked before switching schema: a tenant another worker has taken costs one statement.
                clock_ids = _lock_due(tenant.schema_name, now, limit=chunk_size)
                if clock_ids:
                    connection.set_tenant(tenant)
                    writes = burst.Writes()
                    process_clocks(clock_ids, now=now, writes=writes)
                    _commit_writes(writes, now, mail)
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
                        writes = burst.Writes()
                        process_clocks([clock_id], now=now, writes=writes)
                        _commit_writes(writes, now, mail)
                        done += 1
            except Exception:
                logger.exception("sla clock failed; retrying later", extra={"tenant": tenant.schema_name, "clock": clock_id})
                DueClock.objects.filter(schema_name=tenant.schema_name, clock_id=clock_id).update(
                    due_at=now + RETRY_DELAY)
        # Failed clocks were put back by RETRY_DELAY: the tenant's loop must not take them again now.
        return min(done, chunk_size - 1)
    finally:
        connection.set_schema_to_public()


def process_clocks(clock_ids: list[int], *, now: datetime, writes: burst.Writes) -> int:
    """Fire what is due on these clocks of the current tenant (their due rows locked); returns the firings.

    Clocks and tickets are taken with SKIP LOCKED: the tick holds due rows, and ticket writes
    lock ticket -> clock -> due row, so waiting here could deadlock. A busy clock is looked at
    again shortly; the write in progress may re-arm it anyway. Clocks whose due rules only notify
    are fired set-based (``burst.fire_notify_only``); a ticket with a due rule that changes it goes
    through the ticket services, all its clocks with it (``_fire_per_ticket``). The due index and
    outbox rows are left in ``writes``, for the caller to write in this transaction.
    """
    schema = connection.schema_name
    # order_by(): the models' default orderings only cost SQL compilation and sorting here.
    fired_rules = ArraySubquery(Firing.objects.filter(clock=OuterRef("pk")).order_by().values("rule_id"))
    clocks = list(Clock.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=clock_ids)
                  .select_related("calendar", "policy").annotate(fired_rule_ids=fired_rules).order_by())
    absent = set(clock_ids) - {c.pk for c in clocks}
    busy: set[int] = set()
    if absent:
        busy = set(Clock.objects.filter(pk__in=absent).values_list("pk", flat=True))
        for clock_id in absent - busy:  # clock deleted
            writes.set_due(schema, clock_id, None)
    tickets: dict[tuple[str, int], object] = {}
    by_type: dict[str, list[int]] = defaultdict(list)
    for clock in clocks:
        by_type[clock.ticket_type].append(clock.ticket_id)
    for label, ids in by_type.items():
        locked = (apps.get_model(label).objects.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=ids)
                  .select_related("assignee", "assignment_group__manager").order_by())
        tickets.update({(label, t.pk): t for t in locked})
    fired_by_clock = {c.pk: {pk for pk in c.fired_rule_ids if pk is not None} for c in clocks}
    with_ticket = [c for c in clocks if (c.ticket_type, c.ticket_id) in tickets]
    changing = {(c.ticket_type, c.ticket_id) for c in with_ticket
                if any(r.action not in actions.NOTIFY for r in burst.due_rules(c, fired_by_clock[c.pk], now))}
    notify_only = [c for c in with_ticket if (c.ticket_type, c.ticket_id) not in changing]
    unavailable = _lock_for_ticket_writes([c for c in with_ticket if (c.ticket_type, c.ticket_id) in changing], schema)
    per_ticket = [c for c in with_ticket if (c.ticket_type, c.ticket_id) in changing - unavailable]
    busy |= {c.pk for c in clocks} - {c.pk for c in notify_only} - {c.pk for c in per_ticket}
    for clock_id in busy:
        writes.set_due(schema, clock_id, now + BUSY_DELAY)
    fired = burst.fire_notify_only(notify_only, tickets, fired_by_clock, now, writes)
    return fired + _fire_per_ticket(per_ticket, tickets, fired_by_clock, now, writes)


def _fire_per_ticket(ready: list[Clock], tickets: dict, fired_by_clock: dict[int, set[int]], now: datetime,
                     writes: burst.Writes) -> int:
    """Clocks with a due rule that changes the ticket: fired one at a time, through the ticket services."""
    if not ready:
        return 0
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
    writes.sync(ready)
    writes.notify(notify)
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
