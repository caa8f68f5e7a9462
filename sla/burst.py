"""Set-based pieces of the SLA tick: what a burst over many tenants needs to stay a few statements each.

A burst of 1,000 due escalations in 1,000 tenants (one each) used to cost about 13 statements and
a commit per tenant. Here the common case, clocks whose due rules only notify, costs a tenant
three round trips after its ``SET search_path``: lock its clocks (with their fired rules), lock
its tickets, insert its firings (their ids go into the timeline). Its timeline entries (one
INSERT) and clock updates (one UPDATE), which nothing reads back, are composed as SQL naming the
tenant's schema and sent with the whole group's in one round trip, followed by the group's
public-schema writes (due rows, outbox rows) for all its tenants at once (``Writes``; see
``scanner`` for the groups and their lock budget).

Rules that change the ticket (raise priority, reassign, add watchers) are not here: they go
through the ticket services one ticket at a time (``scanner.process_clocks``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import prefetch_related_objects
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from sla import actions, services
from sla.due.models import DueClock, PendingMail
from sla.models import Clock, Firing
from tickets import services as ticket_services
from tickets.models import TimelineEntry



class Writes:
    """Public-schema writes of one transaction's tenants, made by ``flush`` in that transaction.

    The due index and the mail outbox are shared by all tenants, so a group of tenants needs
    one upsert, one delete and one insert for all of them instead of two or three statements each.
    Keys carry the schema: a row is only ever written for the tenant whose clock produced it.
    """

    def __init__(self):
        self.due: dict[tuple[str, int], datetime] = {}
        self.gone: set[tuple[str, int]] = set()
        self.mail: dict[str, list[int]] = defaultdict(list)
        # Tenants' writes whose results nothing reads, as SQL naming its schema: sent in one round trip.
        self.statements: list[str] = []

    def sync(self, clocks) -> None:
        """Mirror these clocks (of the current tenant) into the due index at flush (as ``services.sync_due``)."""
        schema = connection.schema_name
        for clock in clocks:
            self.set_due(schema, clock.pk, clock.next_check_at)

    def set_due(self, schema: str, clock_id: int, due_at: datetime | None) -> None:
        key = (schema, clock_id)
        if due_at is None:
            self.due.pop(key, None)
            self.gone.add(key)
        else:
            self.gone.discard(key)
            self.due[key] = due_at

    def notify(self, firing_ids: list[int]) -> None:
        if firing_ids:
            self.mail[connection.schema_name].extend(firing_ids)

    def flush(self, now: datetime) -> None:
        if self.statements:
            with connection.cursor() as cursor:
                cursor.execute(";\n".join(self.statements))  # no parameters: already composed
            self.statements.clear()
        if self.due:
            DueClock.objects.bulk_create(
                [DueClock(schema_name=schema, clock_id=pk, due_at=due_at) for (schema, pk), due_at in self.due.items()],
                update_conflicts=True, unique_fields=["schema_name", "clock_id"], update_fields=["due_at"])
        if self.gone:
            schemas, ids = zip(*self.gone)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {_quote(get_public_schema_name())}.{_quote(DueClock._meta.db_table)} WHERE (schema_name, clock_id) IN "
                               "(SELECT * FROM unnest(%s::text[], %s::bigint[]))", [list(schemas), list(ids)])
        if self.mail:
            PendingMail.objects.bulk_create([row for schema, ids in self.mail.items()
                                             for row in actions.outbox(schema, ids, now=now)], ignore_conflicts=True)


def lock_due(schemas: list[str], now: datetime, *, limit: int) -> dict[str, list[int]]:
    """Take (SKIP LOCKED) up to ``limit`` due rows of these tenants in one statement, by schema."""
    rows = (DueClock.objects.select_for_update(skip_locked=True).filter(schema_name__in=schemas, due_at__lte=now)
            .order_by().values_list("schema_name", "clock_id")[:limit])
    taken: dict[str, list[int]] = defaultdict(list)
    for schema, clock_id in rows:
        taken[schema].append(clock_id)
    return taken


def due_rules(clock: Clock, fired_rule_ids: set[int], now: datetime) -> list:
    """The clock's rules whose moment has come and that have not fired (on its current deadline)."""
    if clock.state != Clock.State.RUNNING:
        return []
    due = []
    for percent in services.thresholds(clock):
        if services.threshold_moment(clock, percent) > now:
            break
        due += [r for r in services.rules_for(clock) if r.threshold == percent and r.pk not in fired_rule_ids]
    return due


def fire_notify_only(clocks: list[Clock], tickets: dict, fired_by_clock: dict[int, set[int]], now: datetime,
                     writes: Writes) -> int:
    """Fire the due thresholds of clocks whose due rules only notify (their tickets locked); returns the firings.

    No ticket changes, so nothing re-targets a clock meanwhile: one pass decides every firing, then
    one INSERT writes the firings (their ids go into the timeline). The timeline entries
    (``actions.perform`` per firing, recorded in bulk) and the clock updates become one INSERT and
    one UPDATE in ``writes.statements``, sent with the group's public writes: nothing in the
    transaction reads these rows back (the per-ticket path only touches other tickets' clocks).
    """
    firings: list[Firing] = []
    steps: list[tuple] = []  # in timeline order: (clock, firing, rule), or (clock, None, percent) for a bare breach
    for clock in clocks:
        if clock.state != Clock.State.RUNNING:
            continue
        fired = fired_by_clock[clock.pk]
        rules = services.rules_for(clock)
        for percent in services.thresholds(clock):
            if services.threshold_moment(clock, percent) > now:
                break
            if percent >= services.BREACH and clock.breached_at is None:
                services.mark_breached(clock)
                if not any(r.threshold == percent for r in rules):
                    steps.append((clock, None, percent))
            for rule in rules:
                if rule.threshold == percent and rule.pk not in fired:
                    firing = Firing(clock=clock, rule=rule, threshold=percent, action=rule.action, fired_at=now)
                    firings.append(firing)
                    steps.append((clock, firing, rule))
                    fired.add(rule.pk)
    if firings:
        Firing.objects.bulk_create(firings)
        # Recipients that are the group's members (``actions.recipients``): read once for the tenant.
        members = [ticket for c, firing, rule in steps if firing and _reads_members(rule, ticket := tickets[_key(c)])]
        if members:
            prefetch_related_objects(members, "assignment_group__members")
    notify = []
    entries: list[TimelineEntry] = []
    with ticket_services.timeline_in_bulk(into=entries):
        for clock, firing, rule in steps:
            ticket = tickets[_key(clock)]
            if firing is None:  # a breach no rule is at: only noted (``rule`` is its percent)
                ticket_services.record(ticket, kind=TimelineEntry.Kind.SYSTEM, body=f"{actions.describe(clock, rule)}.",
                                       data={"sla": {"event": "breached", "metric": clock.metric}})
                continue
            result = actions.perform(rule, firing, clock, ticket)
            if result.changed:  # a notify rule never changes the ticket; if one did, its clocks are stale
                raise RuntimeError(f"notify rule {rule.pk} changed {ticket}")
            if result.notify:
                notify.append(firing.pk)
    for clock in clocks:
        services.rearm(clock, now=now, fired_rule_ids=fired_by_clock[clock.pk])
    if entries:
        writes.statements.append(insert_sql(TimelineEntry, entries))
    if clocks:
        writes.statements.append(update_clocks_sql(clocks))
    writes.sync(clocks)
    writes.notify(notify)
    return len(firings)


def insert_sql(model, objs) -> str:
    """The INSERT ``bulk_create`` would run for these rows (no RETURNING), naming the current tenant's schema."""
    query = InsertQuery(model)
    query.insert_values([f for f in model._meta.concrete_fields if not f.primary_key], objs)
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    table = f"INSERT INTO {_quote(model._meta.db_table)} "
    if not sql.startswith(table):  # the compiler's form changed: qualifying it by hand would be wrong
        raise RuntimeError(f"unexpected INSERT for {model._meta.label}: {sql[:80]}")
    return connection.ops.compose_sql(f"INSERT INTO {_table(model)} {sql[len(table):]}", params)


def update_clocks_sql(clocks: list[Clock]) -> str:
    """What firing and re-arming change on the current tenant's clocks, as one UPDATE (not one save per clock)."""
    columns = list(zip(*[(c.pk, c.deadline, c.paused_seconds, c.breached_at, c.first_breached_at, c.next_check_at)
                         for c in clocks]))
    return connection.ops.compose_sql(
        f"UPDATE {_table(Clock)} AS c SET deadline = v.deadline, paused_seconds = v.paused_seconds, "
        "breached_at = v.breached_at, first_breached_at = v.first_breached_at, next_check_at = v.next_check_at, "
        "updated_at = %s FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[], %s::timestamptz[], "
        "%s::timestamptz[], %s::timestamptz[]) AS v(id, deadline, paused_seconds, breached_at, first_breached_at, "
        "next_check_at) WHERE c.id = v.id", [timezone.now(), *map(list, columns)])


def _reads_members(rule, ticket) -> bool:
    Action = actions.Action
    return bool(ticket.assignment_group_id) and (
        rule.action == Action.NOTIFY_GROUP or (rule.action == Action.NOTIFY_ASSIGNEE and not ticket.assignee_id))


def _key(clock: Clock) -> tuple[str, int]:
    return clock.ticket_type, clock.ticket_id


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    """The model's table in the current tenant's schema, named explicitly: the statement may run under another search path."""
    return f"{_quote(connection.schema_name)}.{_quote(model._meta.db_table)}"
