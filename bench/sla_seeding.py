"""Seed the SLA scanner benchmark: N tenants x M running clocks, fast.

Migrating 1,000 tenant schemas one by one is far too slow, so:

1. One template tenant (``sla0000``) is created normally (``tenants.services.create_tenant``
   runs its migrations, so it has the sequences and the built-in 24x7 calendar) and
   seeded through the ORM and set-based SQL: 12 groups with 4 agents each, 100
   requesters, an "Office hours" calendar (Mon-Fri 09:00-17:00, Europe/Berlin), one
   policy with resolution targets per priority (P1/P2 on 24x7, P3-P5 on office hours)
   and three escalation rules (75% notify assignee, 90% notify group, 100% raise
   priority), M in-progress incidents, each with an assignee, and one running resolution
   clock per incident whose deadline and next due moment come from the engine's own
   arithmetic (``sla.services.rearm``).
2. The template is cloned: ``pg_dump --schema-only`` of its schema (pre-data and
   post-data sections) with the schema name rewritten, its rows copied server-side
   (``INSERT ... SELECT * FROM sla0000.<table>``), sequences set to the template's
   values, and the tenant's ``Tenant``, ``Domain`` and ``DueClock`` rows inserted in
   public: one ``psql`` transaction per batch of schemas, two at a time. A tenant that
   exists is skipped, so seeding resumes where it stopped.

Every clone holds the same rows as the template (same ids, same times): the scanner
does not care, and the benchmark resets the clocks it makes due from
``public.bench_sla_clock_orig``, a copy of the template's clocks. Targets are long
(days to weeks) so that nothing is due for days after seeding; ``rebase`` shifts
every clock by whole weeks when the idle state has run out.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlparse

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

TEMPLATE = "sla0000"
POLICY = "SLA bench"
OFFICE = "Office hours"
# Resolution targets: priority -> (seconds, calendar). Long on purpose, see the module docstring.
TARGETS = {1: (14 * 86400, "24x7"), 2: (21 * 86400, "24x7"), 3: (120 * 3600, OFFICE),
           4: (240 * 3600, OFFICE), 5: (480 * 3600, OFFICE)}
OPENED_OVER_DAYS = 7
RULES = [(75, "notify_assignee"), (90, "notify_group"), (100, "raise_priority")]
ORIGINALS = "public.bench_sla_clock_orig"
# Tables whose rows are copied into each clone and then analysed.
DATA_TABLES_ANALYZED = ("incidents_incident", "sla_clock", "accounts_user", "accounts_assignmentgroup_members")


def schema_name(index: int) -> str:
    return f"sla{index:04d}"


def _log(stdout, message: str) -> None:
    if stdout:
        stdout(message)


def seed(*, tenants: int, clocks: int, jobs: int = 2, batch: int = 20, stdout=print) -> dict:
    """Make sure ``tenants`` bench tenants exist (``sla0000``.. ``sla{tenants-1}``); returns seconds per phase."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    created = ensure_template(clocks, stdout=stdout)
    seconds["template"] = round(time.perf_counter() - started, 1)
    existing = set(_bench_schemas())
    missing = [schema_name(i) for i in range(1, tenants) if schema_name(i) not in existing]
    if not missing:
        _log(stdout, f"{len(existing)} bench tenants exist; nothing to clone.")
        return {"created_template": created, "cloned": 0, "seconds": seconds}
    _log(stdout, f"{len(existing)} bench tenants exist; cloning {len(missing)} more ({jobs} at a time, {batch} per transaction).")
    started = time.perf_counter()
    script = CloneScript.from_template()
    seconds["dump"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    batches = [missing[i:i + batch] for i in range(0, len(missing), batch)]
    done = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for names in pool.map(lambda names: script.run(names), batches):
            done += len(names)
            if done % 100 < batch or done == len(missing):
                _log(stdout, f"  cloned {done}/{len(missing)} ({time.perf_counter() - started:.0f} s)")
    seconds["clone"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) public.sla_due_dueclock")
    seconds["vacuum due index"] = round(time.perf_counter() - started, 1)
    return {"created_template": created, "cloned": len(missing), "seconds": seconds}


def _bench_schemas() -> list[str]:
    from tenants.models import Tenant

    with schema_context("public"):
        return list(Tenant.objects.filter(schema_name__regex=r"^sla[0-9]{4}$").order_by("schema_name")
                    .values_list("schema_name", flat=True))


# -- the template ---------------------------------------------------------------------------------

def ensure_template(clocks: int, *, stdout=print) -> bool:
    """Create and seed the template tenant unless it is there; True if anything was done."""
    from sla.models import Policy
    from tenants.models import Tenant
    from tenants.services import create_tenant, ensure_public_tenant

    ensure_public_tenant()
    with schema_context("public"):
        tenant = Tenant.objects.filter(schema_name=TEMPLATE).first()
    if tenant is None:
        _log(stdout, f"creating template tenant {TEMPLATE} (migrations)")
        tenant = create_tenant(slug=TEMPLATE, name="SLA bench 0000", admin_email=f"admin@{TEMPLATE}.example",
                               admin_name="Bench admin", admin_password=None)
    with schema_context(TEMPLATE):
        if Policy.objects.filter(name=POLICY).exists():
            return False
        _log(stdout, f"seeding template tenant {TEMPLATE}: {clocks} incidents and running clocks")
        with transaction.atomic():
            _seed_template(tenant, clocks)
        with connection.cursor() as cursor:
            for table in DATA_TABLES_ANALYZED:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    return True


def _seed_template(tenant, n: int) -> None:
    from demo.seeding import _ensure_people
    from sla.models import Calendar, EscalationRule, Metric, Policy, Target, WorkingHours

    office = Calendar.objects.create(name=OFFICE, time_zone="Europe/Berlin", description="Mon-Fri 09:00-17:00")
    WorkingHours.objects.bulk_create([WorkingHours(calendar=office, weekday=d, start_minute=540, end_minute=1020)
                                      for d in range(5)])
    calendars = {"24x7": Calendar.objects.get(is_24x7=True), OFFICE: office}
    policy = Policy.objects.create(name=POLICY, ticket_type="incidents.incident", order=1)
    Target.objects.bulk_create([Target(policy=policy, metric=Metric.RESOLUTION, priority=p, duration_seconds=s,
                                       calendar=calendars[c]) for p, (s, c) in TARGETS.items()])
    EscalationRule.objects.bulk_create([EscalationRule(policy=policy, metric=Metric.RESOLUTION, threshold=t, action=a)
                                        for t, a in RULES])
    _ensure_people(tenant, n)
    now = timezone.now()
    _insert_incidents(n, now)
    _insert_clocks(policy, now)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ORIGINALS}")
        cursor.execute(f"CREATE TABLE {ORIGINALS} AS SELECT id, ticket_id, started_at, target_seconds, deadline, "
                       "next_check_at FROM sla_clock")
        cursor.execute(f"ALTER TABLE {ORIGINALS} ADD PRIMARY KEY (id)")
        cursor.execute(DUE_ROWS.format(schema=TEMPLATE))


DUE_ROWS = """INSERT INTO public.sla_due_dueclock (schema_name, clock_id, due_at)
SELECT '{schema}', id, next_check_at FROM {schema}.sla_clock WHERE state = 'running' AND next_check_at IS NOT NULL;
"""


def _insert_incidents(n: int, now) -> None:
    """In-progress incidents opened over the last week; impact x urgency cycles through the matrix."""
    from demo.seeding import _lookups
    from tickets import numbering

    found = _lookups()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO incidents_incident (
                number, title, description, description_html, channel, impact, urgency, priority, opened_at,
                first_response_at, updated_at, version, state, hold_reason, resolution_code, resolution_notes,
                cancel_reason, is_major, assignee_id, assignment_group_id, category_id, created_by_id, requester_id)
            SELECT 'INC' || lpad(nextval(%(sequence)s)::text, 7, '0'), (%(titles)s::text[])[q.s],
                   (%(descriptions)s::text[])[q.s], (%(descriptions_html)s::text[])[q.s], 'portal',
                   q.impact, q.urgency, (%(priorities)s::int[])[(q.impact - 1) * 3 + q.urgency], q.opened_at,
                   q.opened_at + interval '10 minutes', q.opened_at + interval '10 minutes', 1, 'in_progress',
                   '', '', '', '', false,
                   (%(members)s::bigint[])[1 + (%(member_offsets)s::int[])[q.s] + q.g %% (%(member_counts)s::int[])[q.s]],
                   (%(group_ids)s::bigint[])[q.s], (%(category_ids)s::bigint[])[q.s], q.requester, q.requester
            FROM (SELECT g, 1 + g %% cardinality(%(titles)s::text[]) AS s, 1 + (g / 3) %% 3 AS impact, 1 + g %% 3 AS urgency,
                         %(now)s - interval '1 second' * (%(days)s * 86400 * g / %(n)s) AS opened_at,
                         (%(requesters)s::bigint[])[1 + g %% cardinality(%(requesters)s::bigint[])] AS requester
                  FROM generate_series(1, %(n)s) AS g) q
            ORDER BY q.g
            """,
            {**found.__dict__, "n": n, "now": now, "days": OPENED_OVER_DAYS, "sequence": numbering.sequence_name("INC")},
        )


def _insert_clocks(policy, now) -> None:
    """One running resolution clock per incident, computed by the engine (deadline, next due moment)."""
    from incidents.models import Incident
    from sla import services
    from sla.models import Clock, Metric

    policy = type(policy).objects.prefetch_related("targets__calendar", "escalations").get(pk=policy.pk)
    targets = {t.priority: t for t in policy.targets.all()}
    clocks = []
    for ticket_id, priority, group_id, opened_at in Incident.objects.order_by("pk").values_list(
            "pk", "priority", "assignment_group_id", "opened_at"):
        target = targets[priority]
        clock = Clock(ticket_type="incidents.incident", ticket_id=ticket_id, metric=Metric.RESOLUTION, policy=policy,
                      calendar=target.calendar, priority=priority, assignment_group_id=group_id,
                      target_seconds=target.duration_seconds, started_at=opened_at)
        services.rearm(clock, now=now, fired_rule_ids=set())
        clocks.append(clock)
    Clock.objects.bulk_create(clocks, batch_size=1000)


# -- cloning --------------------------------------------------------------------------------------

class CloneScript:
    """The SQL that makes one clone of the template, as text with the schema name to fill in."""

    def __init__(self, pre: str, post: str, data_tables: list[str], sequences: list[tuple[str, int, bool]],
                 tenant_columns: list[str]):
        self.pre, self.post = pre, post
        self.data_tables, self.sequences, self.tenant_columns = data_tables, sequences, tenant_columns

    @classmethod
    def from_template(cls) -> "CloneScript":
        pre = _dump("pre-data")
        post = _dump("post-data")
        with connection.cursor() as cursor:
            cursor.execute("SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' "
                           "ORDER BY c.relname", [TEMPLATE])
            tables = [row[0] for row in cursor.fetchall()]
            data_tables = []
            for table in tables:
                cursor.execute(f'SELECT EXISTS (SELECT 1 FROM {TEMPLATE}."{table}")')
                if cursor.fetchone()[0]:
                    data_tables.append(table)
            cursor.execute("SELECT sequencename, last_value, last_value IS NOT NULL FROM pg_sequences "
                           "WHERE schemaname = %s ORDER BY sequencename", [TEMPLATE])
            sequences = [(name, value or 1, called) for name, value, called in cursor.fetchall()]
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                           "AND table_name = 'tenants_tenant' AND column_name <> 'id' ORDER BY ordinal_position")
            tenant_columns = [row[0] for row in cursor.fetchall()]
        return cls(pre, post, data_tables, sequences, tenant_columns)

    def sql(self, schema: str) -> str:
        from tenants.services import tenant_host

        rename = re.compile(rf"\b{TEMPLATE}\b")
        parts = [rename.sub(schema, self.pre)]
        parts += [f'INSERT INTO {schema}."{t}" OVERRIDING SYSTEM VALUE SELECT * FROM {TEMPLATE}."{t}";'
                  for t in self.data_tables]
        parts += [f"SELECT pg_catalog.setval('{schema}.{name}', {value}, {str(called).lower()});"
                  for name, value, called in self.sequences]
        parts.append(rename.sub(schema, self.post))
        columns = ", ".join(self.tenant_columns)
        values = ", ".join({"schema_name": f"'{schema}'", "slug": f"'{schema}'", "name": f"'SLA bench {schema[3:]}'",
                            "created_at": "now()"}.get(c, c) for c in self.tenant_columns)
        parts.append(f"INSERT INTO public.tenants_tenant ({columns}) SELECT {values} FROM public.tenants_tenant "
                     f"WHERE schema_name = '{TEMPLATE}';")
        parts.append("INSERT INTO public.tenants_domain (domain, tenant_id, is_primary) "
                     f"SELECT '{tenant_host(schema)}', id, true FROM public.tenants_tenant WHERE schema_name = '{schema}';")
        parts.append(DUE_ROWS.format(schema=schema))
        return "\n".join(parts)

    def run(self, schemas: list[str]) -> list[str]:
        """Create these clones in one transaction, then vacuum-analyse their loaded tables."""
        script = "\n".join(self.sql(s) for s in schemas)
        _psql(script, single_transaction=True)
        analyze = "\n".join(f"VACUUM (ANALYZE) {s}.{t};" for s in schemas for t in DATA_TABLES_ANALYZED)
        _psql(analyze, single_transaction=False)
        return schemas


def _connection_args() -> tuple[list[str], dict]:
    url = urlparse(os.environ["DATABASE_URL"])
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
            "-d", url.path.lstrip("/")]
    return args, env


def _dump(section: str) -> str:
    args, env = _connection_args()
    done = subprocess.run(["pg_dump", *args, "--schema-only", f"--section={section}", "-n", TEMPLATE,
                           "--no-owner", "--no-privileges", "--no-comments"],
                          env=env, capture_output=True, text=True, check=True)
    # Settings are the psql session's business; the clone only needs the statements.
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith(("SET ", "SELECT pg_catalog.set_config")))


def _psql(script: str, *, single_transaction: bool) -> None:
    args, env = _connection_args()
    command = ["psql", *args, "-q", "-X", "-v", "ON_ERROR_STOP=1"] + (["-1"] if single_transaction else [])
    done = subprocess.run(command, input="SET client_min_messages = warning;\n" + script, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"psql failed: {done.stderr[-3000:]}")


# -- keeping the idle state idle ------------------------------------------------------------------

def rebase(*, margin: timedelta = timedelta(hours=1), stdout=print) -> int:
    """Shift every bench clock by whole weeks if any idle clock is due within ``margin``; returns weeks shifted.

    Whole weeks keep office-hours deadlines inside working hours (up to a DST hour off,
    which the scanner's cost does not notice); clocks made due by a run are reset first.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(due_at) FROM public.sla_due_dueclock WHERE schema_name ~ '^sla[0-9]{4}$'")
        earliest = cursor.fetchone()[0]
    if earliest is None or earliest > now + margin:
        return 0
    weeks = (now + margin - earliest).days // 7 + 1
    _log(stdout, f"idle clocks due from {earliest:%Y-%m-%d %H:%M}: shifting every bench clock by {weeks} week(s)")
    shift = f"interval '{weeks} weeks'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ORIGINALS} SET started_at = started_at + {shift}, deadline = deadline + {shift}, "
                       f"next_check_at = next_check_at + {shift}")
        cursor.execute(f"UPDATE public.sla_due_dueclock SET due_at = due_at + {shift} WHERE schema_name ~ '^sla[0-9]{{4}}$'")
    # The clocks follow their originals (idempotent, so an interrupted rebase can simply run again).
    for chunk in _chunks({schema: [] for schema in _bench_schemas()}):
        with transaction.atomic(), connection.cursor() as cursor:
            for schema, _ in chunk:
                cursor.execute(f"UPDATE {schema}.sla_clock c SET started_at = o.started_at, deadline = o.deadline, "
                               f"next_check_at = o.next_check_at FROM {ORIGINALS} o WHERE o.id = c.id")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) public.sla_due_dueclock")
    return weeks


# -- making clocks due, and undoing it --------------------------------------------------------------

DUE_LOG = "public.bench_sla_due_log"
PARKED = "public.bench_sla_due_parked"
# A due clock has used this share of its target: past 75% (one rule fires), short of 90%.
DUE_ELAPSED = 0.80
DUE_STARTED_DAYS_AGO = 10


def make_due(placements: dict[str, list[int]]) -> dict:
    """Put these clocks (schema -> clock ids) at 80% of their target now, and their due rows in the past.

    Each then has exactly one threshold due (75%, notify the assignee); the next (90%) is in
    the future. Deadlines come from the engine's arithmetic on each clock's calendar.
    """
    from sla import business_time
    from sla.models import Calendar

    now = timezone.now()
    started = now - timedelta(days=DUE_STARTED_DAYS_AGO)
    with schema_context(TEMPLATE):
        calendars = list(Calendar.objects.prefetch_related("hours", "holidays"))
        values = []
        for calendar in calendars:
            schedule = calendar.schedule()
            target = int(business_time.between(schedule, started, now) / DUE_ELAPSED)
            values.append((calendar.pk, target, business_time.add(schedule, started, target),
                           business_time.add(schedule, started, target * 0.75)))
    rows = ", ".join("(%s, %s, %s::timestamptz, %s::timestamptz)" for _ in values)
    params = [v for row in values for v in row]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DUE_LOG} (schema_name varchar(63), clock_id bigint, "
                       "PRIMARY KEY (schema_name, clock_id))")
    for chunk in _chunks(placements):
        with transaction.atomic(), connection.cursor() as cursor:
            for schema, ids in chunk:
                cursor.execute(
                    f"UPDATE {schema}.sla_clock c SET started_at = %s, target_seconds = v.target, deadline = v.deadline, "
                    f"next_check_at = v.next_check, paused_seconds = 0, pauses = '[]', breached_at = NULL, first_breached_at = NULL, "
                    f"state = 'running' FROM (VALUES {rows}) AS v (calendar_id, target, deadline, next_check) "
                    f"WHERE c.calendar_id = v.calendar_id AND c.id = ANY(%s)", [started, *params, ids])
                cursor.execute(
                    f"INSERT INTO public.sla_due_dueclock (schema_name, clock_id, due_at) "
                    f"SELECT %s, id, next_check_at FROM {schema}.sla_clock WHERE id = ANY(%s) "
                    f"ON CONFLICT (schema_name, clock_id) DO UPDATE SET due_at = EXCLUDED.due_at", [schema, ids])
                cursor.execute(f"INSERT INTO {DUE_LOG} SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                               [schema, ids])
    return {"now": now, "calendars": values}


def _chunks(placements: dict[str, list[int]], size: int = 25):
    """Schemas a few at a time: one transaction touching hundreds of schemas exhausts PostgreSQL's lock table
    (``max_locks_per_transaction``: every table and index touched stays locked until commit)."""
    items = list(placements.items())
    return [items[i:i + size] for i in range(0, len(items), size)]


def made_due() -> dict[str, list[int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_regclass('{DUE_LOG}') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute(f"SELECT schema_name, array_agg(clock_id ORDER BY clock_id) FROM {DUE_LOG} GROUP BY 1 ORDER BY 1")
        return dict(cursor.fetchall())


def reset_due(*, vacuum: bool = True) -> int:
    """Undo ``make_due`` and whatever the scanner did to those clocks: firings, timeline entries, due rows, outbox."""
    placements = made_due()
    for chunk in _chunks(placements):
        with transaction.atomic(), connection.cursor() as cursor:
            for schema, ids in chunk:
                cursor.execute(f"DELETE FROM {schema}.sla_firing WHERE clock_id = ANY(%s)", [ids])
                cursor.execute(f"DELETE FROM {schema}.tickets_timelineentry WHERE kind = 'system' AND ticket_id IN "
                               f"(SELECT ticket_id FROM {schema}.sla_clock WHERE id = ANY(%s))", [ids])
                cursor.execute(f"UPDATE {schema}.sla_clock c SET started_at = o.started_at, "
                               f"target_seconds = o.target_seconds, deadline = o.deadline, next_check_at = o.next_check_at, "
                               f"paused_seconds = 0, pauses = '[]', breached_at = NULL, first_breached_at = NULL, state = 'running' "
                               f"FROM {ORIGINALS} o WHERE o.id = c.id AND c.id = ANY(%s)", [ids])
    if placements:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO public.sla_due_dueclock (schema_name, clock_id, due_at) "
                           f"SELECT l.schema_name, l.clock_id, o.next_check_at FROM {DUE_LOG} l JOIN {ORIGINALS} o "
                           f"ON o.id = l.clock_id ON CONFLICT (schema_name, clock_id) DO UPDATE SET due_at = EXCLUDED.due_at")
            cursor.execute(f"TRUNCATE {DUE_LOG}")
    with connection.cursor() as cursor:  # the mail outbox: no worker runs in the bench to empty it
        cursor.execute("DELETE FROM public.sla_due_pendingmail")
    if vacuum:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) public.sla_due_dueclock")
    return sum(len(ids) for ids in placements.values())


def park(keep_tenants: int | None) -> int:
    """Move the due rows of all bench tenants but the first ``keep_tenants`` aside (None: bring all back).

    The table is rewritten (``VACUUM FULL``) either way, so both sizes are measured on a compact index.
    Returns how many rows the index holds afterwards.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {PARKED} (LIKE public.sla_due_dueclock)")
        cursor.execute(f"INSERT INTO public.sla_due_dueclock SELECT * FROM {PARKED}")
        cursor.execute(f"TRUNCATE {PARKED}")
        if keep_tenants is not None:
            cursor.execute(f"WITH moved AS (DELETE FROM public.sla_due_dueclock WHERE schema_name >= %s "
                           f"AND schema_name ~ '^sla[0-9]{{4}}$' RETURNING *) INSERT INTO {PARKED} SELECT * FROM moved",
                           [schema_name(keep_tenants)])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE) public.sla_due_dueclock")
        cursor.execute("SELECT count(*) FROM public.sla_due_dueclock")
        return cursor.fetchone()[0]
