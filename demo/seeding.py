"""Bulk-load realistic incidents into one tenant with set-based SQL (1M in well under two minutes).

What a seeded tenant looks like
- 12 assignment groups (the demo's three plus nine more), 4 extra agents in each
  (``bench.agentNNNNN@<slug>.example``), and up to 2,000 requesters
  (``bench.requesterNNNNN@<slug>.example``); both with unusable passwords.
- Incidents opened evenly over the last two years. The chance that an incident
  is still open decays with its age (exp(-20 x age/2 years)), which gives ~5% open
  (30% new, 50% in progress, 20% on hold) concentrated in the last weeks; of the
  rest ~2% are cancelled and the others resolved, then closed (by the requester
  or auto-close) at a random point within the tenant's auto-close period.
- Impact and urgency are drawn with realistic weights; priority comes from the
  tenant's own impact x urgency matrix, like ``tickets.services.compute_priority``.
- Each incident's group comes from its scenario; the assignee (none while New)
  is an active agent who is a member of that group.
- Numbers come from the tenant's ``ticket_number_inc_seq`` (``nextval``), so
  incidents created later through the services keep getting fresh numbers.
- ``version`` is 1, ``description_html`` is the scenario's Markdown rendered by
  ``tickets.markdown``; one public "created" timeline entry per incident, as
  ``create_ticket`` writes (later history such as transitions is not generated).
  No watchers, attachments or parent/child links.

Re-running tops up: the tenant ends with ``n`` incidents in total, and a tenant
that already holds ``n`` or more is left untouched. A large load drops and
rebuilds the secondary indexes inside its transaction, which locks the incidents
table until it commits: meant for benchmark and demo tenants, not live ones.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from demo import indexes, scenarios
from tickets import markdown, numbering
from tickets.models import ticket_type_label

AGENTS_PER_GROUP = 4
MAX_REQUESTERS = 2000
HISTORY_DAYS = 730
# Rebuilding indexes pays when the load is large and at least doubles the table
# (measured: 200k into 100k rows 13.6 s rebuilt vs 18.8 s maintained; 200k into
# 700k rows 29.9 s rebuilt vs 22.6 s maintained).
REBUILD_INDEXES_FROM = 50_000
SEED = 0.42


@dataclass
class SeedReport:
    existing: int
    inserted: int = 0
    seconds: dict = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@contextmanager
def _phase(report: SeedReport, stdout, name: str):
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    report.seconds[name] = round(elapsed, 2)
    if stdout:
        stdout.write(f"  {name}: {elapsed:.1f} s")


def bulk_seed_incidents(tenant, n: int, stdout=None, *, rebuild_indexes: bool | None = None) -> SeedReport:
    """Top the tenant up to ``n`` incidents; returns what was inserted and how long each phase took."""
    from incidents.models import Incident

    with schema_context(tenant.schema_name):
        existing = Incident.objects.count()
        report = SeedReport(existing=existing)
        missing = n - existing
        if missing <= 0:
            if stdout:
                stdout.write(f"tenant {tenant.slug}: already holds {existing} incidents (>= {n}); nothing inserted.")
            return report
        if stdout:
            stdout.write(f"tenant {tenant.slug}: holds {existing} incidents, inserting {missing} to reach {n}.")
        if rebuild_indexes is None:
            rebuild_indexes = missing >= REBUILD_INDEXES_FROM and missing >= existing
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SELECT setseed(%s)", [SEED])
            with _phase(report, stdout, "people and groups"):
                _ensure_people(tenant, missing)
            before_id = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            with _phase(report, stdout, "drop indexes"):
                dropped = indexes.drop_secondary("incidents_incident", "tickets_timelineentry") if rebuild_indexes else []
            with _phase(report, stdout, "insert incidents"):
                report.inserted = _insert_incidents(tenant, missing)
            with _phase(report, stdout, "insert timeline"):
                _insert_created_entries(before_id)
            with _phase(report, stdout, "rebuild indexes and foreign keys"):
                indexes.rebuild(dropped)
            loaded = time.perf_counter()
        # Deferred foreign-key checks (when indexes were kept) run here.
        report.seconds["commit"] = round(time.perf_counter() - loaded, 2)
        if stdout:
            stdout.write(f"  commit: {report.seconds['commit']:.1f} s")
        with _phase(report, stdout, "vacuum analyze"):
            _analyze()
        if stdout:
            stdout.write(f"tenant {tenant.slug}: inserted {report.inserted} incidents in {report.total_seconds:.1f} s.")
    return report


def _ensure_people(tenant, missing: int) -> None:
    from accounts.models import AssignmentGroup

    domain = f"{tenant.slug}.example"
    for name in scenarios.GROUP_SCENARIOS:
        AssignmentGroup.objects.get_or_create(
            name=name, defaults={"email": name.split()[0].lower().replace("&", "and") + f"@{domain}"})
    requesters = min(MAX_REQUESTERS, max(20, missing // 10))
    agents = AGENTS_PER_GROUP * len(scenarios.GROUP_SCENARIOS)
    with connection.cursor() as cursor:
        # The g-th requester/agent always gets the same email, so re-runs add nobody twice.
        for role, prefix, count in (("requester", "requester", requesters), ("agent", "agent", agents)):
            cursor.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, email, full_name, role, time_zone, phone,
                                           department, is_vip, is_active, is_staff, date_joined)
                SELECT '!' || md5(random()::text || g::text), false, format('%%s%%s@%%s', %(prefix)s, lpad(g::text, 5, '0'), %(domain)s),
                       (%(first)s::text[])[1 + g %% cardinality(%(first)s::text[])] || ' '
                         || (%(last)s::text[])[1 + (g / cardinality(%(first)s::text[])) %% cardinality(%(last)s::text[])],
                       %(role)s, '', '', (%(departments)s::text[])[1 + g %% cardinality(%(departments)s::text[])],
                       %(role)s = 'requester' AND g %% 97 = 0, true, false, %(now)s - interval '1 day' * (g %% 900)
                FROM generate_series(1, %(count)s) AS g
                ON CONFLICT (email) DO NOTHING
                """,
                {"prefix": "bench." + prefix, "domain": domain, "first": scenarios.FIRST_NAMES, "last": scenarios.LAST_NAMES,
                 "departments": scenarios.DEPARTMENTS, "role": role, "count": count, "now": timezone.now()},
            )
        # Bench agents join the groups round-robin, four to a group.
        cursor.execute(
            """
            INSERT INTO accounts_assignmentgroup_members (assignmentgroup_id, user_id)
            SELECT grp.id, u.id
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS gidx FROM accounts_assignmentgroup WHERE name = ANY(%(groups)s)) grp
            JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS uidx FROM accounts_user
                  WHERE role = 'agent' AND email LIKE %(pattern)s) u ON u.uidx / %(per_group)s = grp.gidx
            ON CONFLICT (assignmentgroup_id, user_id) DO NOTHING
            """,
            {"groups": list(scenarios.GROUP_SCENARIOS), "pattern": f"bench.agent%@{domain}", "per_group": AGENTS_PER_GROUP},
        )


@dataclass
class _Lookups:
    """What the INSERT picks from, passed as arrays so the load is one ordered scan with no joins.

    Without joins the rows are inserted in ``generate_series`` order, so ids,
    numbers and ``opened_at`` all grow together, as in a real tenant's table.
    """

    titles: list = field(default_factory=list)
    descriptions: list = field(default_factory=list)
    descriptions_html: list = field(default_factory=list)
    group_ids: list = field(default_factory=list)
    category_ids: list = field(default_factory=list)
    member_offsets: list = field(default_factory=list)  # per scenario, into ``members``
    member_counts: list = field(default_factory=list)
    members: list = field(default_factory=list)  # active agents, grouped by assignment group
    requesters: list = field(default_factory=list)
    priorities: list = field(default_factory=list)  # index (impact - 1) * 3 + urgency


def _lookups() -> _Lookups:
    from accounts.models import AssignmentGroup, User
    from tickets.models import Category, Impact, Urgency
    from tickets.services import compute_priority

    found = _Lookups()
    groups = dict(AssignmentGroup.objects.filter(name__in=list(scenarios.GROUP_SCENARIOS)).values_list("name", "id"))
    # Names repeat only under different parents; the first one created wins.
    categories = dict(Category.objects.order_by("-id").values_list("name", "id"))
    members_of = {}
    for group_id in groups.values():
        agents = User.objects.filter(assignment_groups=group_id, is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN])
        members_of[group_id] = (len(found.members), list(agents.order_by("pk").values_list("pk", flat=True)))
        found.members.extend(members_of[group_id][1])
    for group_name, items in scenarios.GROUP_SCENARIOS.items():
        offset, members = members_of[groups[group_name]]
        for title, description, category in items:
            found.titles.append(title)
            found.descriptions.append(description)
            found.descriptions_html.append(markdown.render(description))
            found.group_ids.append(groups[group_name])
            found.category_ids.append(categories.get(category))
            found.member_offsets.append(offset)
            found.member_counts.append(len(members))
    found.requesters = list(User.objects.filter(role=User.Role.REQUESTER, is_active=True).order_by("pk").values_list("pk", flat=True))
    found.priorities = [compute_priority(impact, urgency) for impact in Impact.values for urgency in Urgency.values]
    return found


INSERT_INCIDENTS = """
INSERT INTO incidents_incident (
    number, title, description, description_html, channel, impact, urgency, priority, opened_at,
    first_response_at, resolved_at, closed_at, updated_at, version, state, hold_reason, resolution_code,
    resolution_notes, cancel_reason, is_major, assignee_id, assignment_group_id, category_id, created_by_id,
    requester_id)
SELECT
    'INC' || lpad(st.num::text, greatest(%(digits)s, length(st.num::text)), '0'),
    CASE WHEN st.r_site < 0.5 THEN (%(titles)s::text[])[st.s]
         ELSE (%(titles)s::text[])[st.s] || ' ('
              || (%(sites)s::text[])[1 + floor(st.r_site * 2 * cardinality(%(sites)s::text[]))::int %% cardinality(%(sites)s::text[])] || ')' END,
    (%(descriptions)s::text[])[st.s], (%(descriptions_html)s::text[])[st.s],
    st.channel, st.impact, st.urgency, st.priority, st.opened_at,
    CASE WHEN st.state IN ('new', 'cancelled') THEN NULL ELSE st.first_response_at END,
    CASE WHEN st.state IN ('resolved', 'closed') THEN st.resolved_at END,
    CASE WHEN st.state = 'closed' THEN st.closed_at WHEN st.state = 'cancelled' THEN st.first_response_at END,
    CASE st.state WHEN 'closed' THEN st.closed_at WHEN 'resolved' THEN st.resolved_at
                  WHEN 'new' THEN st.opened_at ELSE st.first_response_at END,
    1, st.state,
    CASE WHEN st.state = 'on_hold' THEN (%(holds)s::text[])[1 + floor(st.r_detail * cardinality(%(holds)s::text[]))::int] ELSE '' END,
    CASE WHEN st.state IN ('resolved', 'closed') THEN (%(codes)s::text[])[1 + floor(st.r_code * cardinality(%(codes)s::text[]))::int] ELSE '' END,
    CASE WHEN st.state IN ('resolved', 'closed') THEN (%(notes)s::text[])[1 + floor(st.r_code * cardinality(%(notes)s::text[]))::int] ELSE '' END,
    CASE WHEN st.state = 'cancelled' THEN (%(cancels)s::text[])[1 + floor(st.r_detail * cardinality(%(cancels)s::text[]))::int] ELSE '' END,
    st.priority = 1 AND st.r_detail < 0.01,
    CASE WHEN st.state = 'new' OR (%(member_counts)s::int[])[st.s] = 0 THEN NULL
         ELSE (%(members)s::bigint[])[1 + (%(member_offsets)s::int[])[st.s] + floor(st.r_member * (%(member_counts)s::int[])[st.s])::int] END,
    (%(group_ids)s::bigint[])[st.s], (%(category_ids)s::bigint[])[st.s], st.requester_id, st.requester_id
FROM (
    SELECT r.*,
           CASE WHEN r.r_open < exp(-20 * r.age) THEN
                    CASE WHEN r.r_kind < 0.3 THEN 'new' WHEN r.r_kind < 0.8 THEN 'in_progress' ELSE 'on_hold' END
                WHEN r.r_kind < 0.02 THEN 'cancelled'
                WHEN r.resolved_at + %(auto_close)s * interval '1 day' * r.r_close < %(now)s THEN 'closed'
                ELSE 'resolved' END AS state,
           r.resolved_at + %(auto_close)s * interval '1 day' * r.r_close AS closed_at
    FROM (
        SELECT p.*,
               p.opened_at + LEAST((%(now)s - p.opened_at) * 0.3, interval '1 minute' * (2 + 240 * p.r_res)) AS first_response_at,
               p.opened_at + LEAST((%(now)s - p.opened_at) * 0.9,
                                   interval '1 minute' * (20 + 2880 * p.priority * p.r_res * p.r_res)) AS resolved_at
        FROM (
            SELECT q.*, (%(priorities)s::int[])[(q.impact - 1) * 3 + q.urgency] AS priority
            FROM (
                SELECT g, nextval(%(sequence)s) AS num,
                       1 - (g - 0.5)::float8 / %(n)s AS age,
                       %(now)s - %(history)s * interval '1 day' * (1 - (g - 0.5)::float8 / %(n)s) - interval '1 second' * floor(random() * 3600) AS opened_at,
                       CASE WHEN random() < 0.10 THEN 1 WHEN random() < 0.35 THEN 2 ELSE 3 END AS impact,
                       CASE WHEN random() < 0.15 THEN 1 WHEN random() < 0.40 THEN 2 ELSE 3 END AS urgency,
                       1 + floor(random() * cardinality(%(titles)s::text[]))::int AS s,
                       -- a few requesters raise many incidents, most raise a handful
                       (%(requesters)s::bigint[])[1 + floor(random() * random() * cardinality(%(requesters)s::bigint[]))::int] AS requester_id,
                       (ARRAY['portal','portal','portal','portal','portal','portal','portal','portal','portal',
                              'email','email','email','email','email','email','phone','phone','phone','monitoring','chat']
                       )[1 + floor(random() * 20)::int] AS channel,
                       random() AS r_open, random() AS r_kind, random() AS r_res, random() AS r_close,
                       random() AS r_detail, random() AS r_member, random() AS r_site, random() AS r_code
                FROM generate_series(1, %(n)s) AS g
                OFFSET 0  -- a fence: each random() above is drawn once per row, not re-evaluated where it is used
            ) q
        ) p
    ) r
) st
"""


def _insert_incidents(tenant, n: int) -> int:
    found = _lookups()
    with connection.cursor() as cursor:
        cursor.execute(INSERT_INCIDENTS, {
            **found.__dict__,
            "n": n, "now": timezone.now(), "history": HISTORY_DAYS, "auto_close": getattr(tenant, "auto_close_days", 7),
            "sequence": numbering.sequence_name("INC"), "digits": numbering.NUMBER_DIGITS,
            "sites": scenarios.SITES, "holds": scenarios.HOLD_REASONS, "cancels": scenarios.CANCEL_REASONS,
            "codes": [code for code, weight, _ in scenarios.RESOLUTIONS for _ in range(weight)],
            "notes": [notes for _, weight, notes in scenarios.RESOLUTIONS for _ in range(weight)],
        })
        return cursor.rowcount


def _insert_created_entries(after_id: int) -> None:
    """The "created" entry ``tickets.services.create_ticket`` writes, for every new incident."""
    from incidents.models import Incident

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_timelineentry (ticket_type, ticket_id, kind, is_public, author_id, channel, body,
                                               body_html, data, created_at)
            SELECT %s, i.id, 'created', true, i.created_by_id, i.channel, '', '',
                   jsonb_build_object('state', 'new', 'priority', i.priority), i.opened_at
            FROM incidents_incident i WHERE i.id > %s
            """,
            [ticket_type_label(Incident), after_id],
        )


def _analyze() -> None:
    """Fresh statistics for the planner; outside a transaction also VACUUM so index-only scans and hint bits are ready."""
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in ("incidents_incident", "tickets_timelineentry", "accounts_user", "accounts_assignmentgroup_members"):
            cursor.execute(f"{statement} {table}")
