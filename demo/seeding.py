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

Problems (``bulk_seed_problems``), for the benchmark of every ticket type
- Opened evenly over the same two years; a problem stays open far longer than an
  incident (P(open) = exp(-6 x age/2 years): ~17% open, 15% new, 20% assess, 40%
  root cause analysis, 25% fix in progress); of the rest ~8% are cancelled and the
  others resolved, then closed by an agent within a 30-day review period.
- 24 scenarios, two per assignment group (title, Markdown description, category,
  affected service, root cause, workaround, permanent fix). Fields follow the
  workflow: a root cause from fix in progress on (``start_fix`` requires it), a
  resolution code and notes once resolved, a cancel reason when cancelled, a
  workaround on most problems past assessment and a published known error only
  where there is a workaround. Raised by an agent of the group (requester =
  creator, as ``create_problem`` defaults); assignee a member of the group (none
  while New); ``first_response_at`` empty (no public replies are generated).
- Numbers from ``ticket_number_prb_seq``; one "created" timeline entry each.

Re-running tops up: the tenant ends with ``n`` incidents (problems) in total, and a
tenant that already holds ``n`` or more is left untouched. A large load drops and
rebuilds the secondary indexes inside its transaction, which locks the table
until it commits: meant for benchmark and demo tenants, not live ones.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from demo import indexes, scenarios
from tickets import counter_cache, markdown, numbering
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

    return _top_up(tenant, Incident, n, stdout, rebuild_indexes=rebuild_indexes, insert=_insert_incidents,
                   requesters=lambda missing: min(MAX_REQUESTERS, max(20, missing // 10)))


def bulk_seed_problems(tenant, n: int, stdout=None, *, rebuild_indexes: bool | None = None) -> SeedReport:
    """Top the tenant up to ``n`` problems; returns what was inserted and how long each phase took."""
    from problems.models import Problem

    # Problems are raised by agents: no requesters are added.
    return _top_up(tenant, Problem, n, stdout, rebuild_indexes=rebuild_indexes, insert=_insert_problems,
                   requesters=lambda missing: 0)


def _top_up(tenant, model, n: int, stdout, *, rebuild_indexes, insert, requesters) -> SeedReport:
    """One transaction: people and groups, the rows (``insert(tenant, missing)``), their "created" entries.

    ``rebuild_indexes=None`` drops and rebuilds a table's secondary indexes when the load is large
    and at least doubles that table (the ticket table and the shared timeline are judged apart).
    """
    noun = model._meta.verbose_name_plural
    table = model._meta.db_table
    with schema_context(tenant.schema_name):
        existing = model.objects.count()
        report = SeedReport(existing=existing)
        missing = n - existing
        if missing <= 0:
            if stdout:
                stdout.write(f"tenant {tenant.slug}: already holds {existing} {noun} (>= {n}); nothing inserted.")
            return report
        if stdout:
            stdout.write(f"tenant {tenant.slug}: holds {existing} {noun}, inserting {missing} to reach {n}.")
        if rebuild_indexes is None:
            rebuilt = [t for t, rows in ((table, existing), ("tickets_timelineentry", _rows("tickets_timelineentry")))
                       if missing >= REBUILD_INDEXES_FROM and missing >= rows]
        else:
            rebuilt = [table, "tickets_timelineentry"] if rebuild_indexes else []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SELECT setseed(%s)", [SEED])
            with _phase(report, stdout, "people and groups"):
                _ensure_people(tenant, requesters(missing))
            before_id = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            with _phase(report, stdout, "drop indexes"):
                dropped = indexes.drop_secondary(*rebuilt) if rebuilt else []
            with _phase(report, stdout, f"insert {noun}"):
                report.inserted = insert(tenant, missing)
            with _phase(report, stdout, "insert timeline"):
                _insert_created_entries(model, before_id)
            counter_cache.changed(model)  # raw SQL passes no write guard: recount the queue's counters
            with _phase(report, stdout, "rebuild indexes and foreign keys"):
                indexes.rebuild(dropped)
            loaded = time.perf_counter()
        # Deferred foreign-key checks (when indexes were kept) run here.
        report.seconds["commit"] = round(time.perf_counter() - loaded, 2)
        if stdout:
            stdout.write(f"  commit: {report.seconds['commit']:.1f} s")
        with _phase(report, stdout, "vacuum analyze"):
            _analyze(table)
        if stdout:
            stdout.write(f"tenant {tenant.slug}: inserted {report.inserted} {noun} in {report.total_seconds:.1f} s.")
    return report


def _rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _ensure_people(tenant, requesters: int) -> None:
    """The 12 groups, their bench agents and (up to) ``requesters`` bench requesters."""
    from accounts.models import AssignmentGroup

    domain = f"{tenant.slug}.example"
    for name in scenarios.GROUP_SCENARIOS:
        AssignmentGroup.objects.get_or_create(
            name=name, defaults={"email": name.split()[0].lower().replace("&", "and") + f"@{domain}"})
    agents = AGENTS_PER_GROUP * len(scenarios.GROUP_SCENARIOS)
    with connection.cursor() as cursor:
        # The g-th requester/agent always gets the same email, so re-runs add nobody twice.
        for role, prefix, count in (("requester", "requester", requesters), ("agent", "agent", agents)):
            cursor.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, email, full_name, role, time_zone, phone,
                                           department, is_vip, is_active, is_staff, date_joined)
                SELECT '!' || md5(random()::text || g::text), false, format('%%s%%s@%%s', %(prefix)s::text, lpad(g::text, 5, '0'), %(domain)s::text),
                       (%(first)s::text[])[1 + g %% cardinality(%(first)s::text[])] || ' '
                         || (%(last)s::text[])[1 + (g / cardinality(%(first)s::text[])) %% cardinality(%(last)s::text[])],
                       %(role)s::text, '', '', (%(departments)s::text[])[1 + g %% cardinality(%(departments)s::text[])],
                       %(role)s::text = 'requester' AND g %% 97 = 0, true, false, %(now)s - interval '1 day' * (g %% 900)
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


def _groups_and_members(members: list) -> tuple[dict, dict, dict]:
    """Group ids by name, category ids by name, and per group id (offset into ``members``, its agents).

    ``members`` is filled with every group's active agents, group after group.
    """
    from accounts.models import AssignmentGroup, User
    from tickets.models import Category

    groups = dict(AssignmentGroup.objects.filter(name__in=list(scenarios.GROUP_SCENARIOS)).values_list("name", "id"))
    # Names repeat only under different parents; the first one created wins.
    categories = dict(Category.objects.order_by("-id").values_list("name", "id"))
    members_of = {}
    for group_id in groups.values():
        agents = User.objects.filter(assignment_groups=group_id, is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN])
        members_of[group_id] = (len(members), list(agents.order_by("pk").values_list("pk", flat=True)))
        members.extend(members_of[group_id][1])
    return groups, categories, members_of


def _lookups() -> _Lookups:
    from accounts.models import User
    from tickets.models import Impact, Urgency
    from tickets.services import compute_priority

    found = _Lookups()
    groups, categories, members_of = _groups_and_members(found.members)
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


# Problems: two per group. (title, Markdown description, category, affected service, root cause category,
# root cause, workaround, permanent fix).
PROBLEM_SCENARIOS = {
    "Service Desk": [
        ("Password resets fail for accounts created by the HR feed",
         "Self-service resets fail with *policy error* for every account the HR feed created.", "Password reset",
         "Self-service password reset", "configuration",
         "The HR feed sets a password policy object the reset service cannot read.",
         "Reset the password from the admin console and ask the user to change it at next sign-in.",
         "The HR feed writes the standard policy object; existing accounts corrected by script."),
        ("Ticket notifications arrive hours late",
         "Requesters get the *ticket created* mail hours after raising it.", "Email",
         "Service desk notifications", "capacity",
         "The outbound relay throttles senders above 100 messages a minute.",
         "Point requesters to the portal for the ticket's state.",
         "Relay limit raised for the service desk's sender."),
    ],
    "Network Operations": [
        ("VPN tunnels drop after the gateway certificate rollover",
         "Users lose the VPN tunnel about once an hour since the gateway certificate was renewed.", "VPN",
         "Remote access (VPN)", "configuration",
         "Client profiles pin the old intermediate certificate of the VPN gateway.",
         "Re-import the VPN profile (Settings > Profiles > Import), then reconnect.",
         "New client profile pushed to every laptop."),
        ("Access points reboot on busy floors",
         "Access points on the busiest floors reboot several times a day.", "Wi-Fi",
         "Office Wi-Fi", "software_defect",
         "Firmware 8.2 leaks memory when more than 60 clients roam between access points.",
         "Move users to the guest network and reboot the access point outside meeting hours.",
         "Firmware 8.3 rolled out to all access points."),
    ],
    "Business Applications": [
        ("ERP approvals stall after the nightly update",
         "Invoices stop moving past *Pending approval* after every nightly update job.", "Business application",
         "ERP finance", "change",
         "The update job re-creates the approval queue without its scheduler.",
         "Restart the approval scheduler from the ERP admin page.",
         "The update job keeps the scheduler; the change template is amended."),
        ("Checkout fails during campaign peaks",
         "The web shop's checkout returns **5xx** errors whenever a campaign starts.", "Business application",
         "Web shop", "capacity",
         "The payment service's connection pool is exhausted at peak load.",
         "Scale checkout to 6 instances before a campaign starts.",
         "Pool sized from a load test; autoscaling on queue depth added."),
    ],
    "Desktop Support": [
        ("Laptops blue-screen after the graphics driver update",
         "Two laptop models crash at boot after the monthly driver update.", "Operating system",
         "Managed laptops", "software_defect",
         "Graphics driver 31.0 conflicts with the docking station firmware.",
         "Boot into safe mode and roll back the display driver.",
         "Driver 31.0 blocked; the vendor's fixed 31.2 deployed."),
        ("Laptop batteries wear out within a year",
         "Batteries of one laptop model last under an hour after 9-12 months.", "Laptop",
         "Managed laptops", "hardware",
         "One supplier's battery batch has defective cells.",
         "Order a replacement battery under warranty.",
         "Vendor recall: every battery of the batch replaced."),
    ],
    "Identity & Access": [
        ("MFA sign-in loops for users with two authenticators",
         "The authenticator approves, then the sign-in page asks again, for users with two devices.", "Account locked",
         "Single sign-on", "third_party",
         "The identity provider drops the session when two authenticator devices are registered.",
         "Remove the older authenticator device from the user's security profile.",
         "Provider fix deployed; second devices re-registered."),
        ("New starters have no accounts on their first day",
         "Accounts for new starters appear a day after they start.", "Permissions",
         "Joiner process", "process",
         "HR enters start dates after the nightly provisioning run.",
         "Create the accounts by hand from the HR request.",
         "Provisioning runs hourly; the HR checklist asks for dates a week ahead."),
    ],
    "Messaging & Collaboration": [
        ("Outlook asks for the password every few minutes",
         "The password prompt comes back every few minutes for users on one mailbox database.", "Email",
         "Email", "configuration",
         "Modern authentication is disabled on one mailbox database.",
         "Clear the cached credentials and restart Outlook.",
         "Modern authentication enabled on every mailbox database."),
        ("Call quality drops on the office network",
         "Audio breaks up on calls from the office network, not from home.", "Office apps",
         "Voice and video calls", "configuration",
         "Media traffic is not prioritised on the office switches.",
         "Join calls from the guest Wi-Fi or the mobile app.",
         "QoS markings configured on all office switches."),
    ],
    "Infrastructure & Cloud": [
        ("File server volumes fill up at every month-end",
         "Volume `D:` on fs01 passes **95%** every month-end.", "Hardware",
         "File shares", "capacity",
         "Month-end exports land on the shared volume and are never cleaned up.",
         "Move last month's exports to the archive share.",
         "Exports go to a volume of their own with 30-day retention."),
        ("Nightly ERP backup times out",
         "The ERP database backup fails with a timeout two nights a week.", "Software",
         "Backup and restore", "capacity",
         "The backup window overlaps the index maintenance job.",
         "Start the backup by hand after 04:00.",
         "Index maintenance moved to Sundays."),
    ],
    "Database Administration": [
        ("Reports crawl at month-end",
         "Month-end reports take 20 minutes instead of 2.", "Business application",
         "Reporting", "capacity",
         "Month-end reports scan the whole history: the date index is missing.",
         "Run the reports one month at a time.",
         "Date index added and the reports rewritten to use it."),
        ("Applications run out of database connections",
         "Applications log *too many connections* a few times a week.", "Software",
         "ERP database", "software_defect",
         "The job scheduler leaks a connection per failed job.",
         "Restart the scheduler service to free its connections.",
         "Scheduler fixed to close connections; a connection pooler added."),
    ],
    "Security Operations": [
        ("Phishing mails pass the mail filter",
         "Phishing mails with shortened links reach inboxes.", "Email",
         "Email security", "third_party",
         "The filter's URL rewriting skips shortened links.",
         "Report the mail with *Report phishing*; Security Operations purges it from every mailbox.",
         "Vendor rule update: shortened links are expanded before scanning."),
        ("Antivirus quarantines the ERP client's updater",
         "After every ERP update the antivirus quarantines a file and the client stops starting.", "Laptop",
         "Endpoint protection", "configuration",
         "A heuristic rule flags the unsigned updater of the ERP client.",
         "Restore the file from quarantine and restart the client.",
         "The updater is signed now and excluded by hash."),
    ],
    "Telephony": [
        ("Desk phones show no service after desk moves",
         "Phones show *No service* after a move until someone re-patches them.", "Hardware",
         "Desk telephony", "process",
         "Moves patch phones to ports without the voice VLAN.",
         "Patch the phone to a voice port, or use the softphone meanwhile.",
         "The move checklist includes the voice VLAN; all desk ports tagged."),
        ("Voicemail no longer arrives by email",
         "Voicemails stopped arriving as email attachments for part of the staff.", "Email",
         "Voicemail", "change",
         "A mail relay change rejects the voicemail server's sender address.",
         "Listen to voicemail from the desk phone.",
         "Sender address added to the relay's allow list."),
    ],
    "Field Services": [
        ("Printers jam with the new paper",
         "Printers on every floor jam since the new paper supplier started.", "Printer",
         "Printing", "third_party",
         "The new paper is 70 gsm; the printers need 80 gsm.",
         "Use the old stock from the stationery room.",
         "Supplier contract back to 80 gsm paper."),
        ("Badge readers go offline after power cuts",
         "Door badge readers stay offline after every power cut.", "Hardware",
         "Building access", "hardware",
         "The reader controllers lose their configuration without a backup battery.",
         "Security staff open the door and log entries by hand.",
         "Controllers fitted with backup batteries."),
    ],
    "Workplace Applications": [
        ("Excel crashes on workbooks with many pivot tables",
         "Excel closes without an error on workbooks with more than 20 pivot tables.", "Office apps",
         "Office suite", "software_defect",
         "A known defect of build 2308 of the office suite.",
         "Open the workbook in the web version of Excel.",
         "Build 2310 deployed."),
        ("Browsers do not trust the intranet certificate",
         "Browsers call the intranet certificate *not trusted* since its renewal.", "Software",
         "Intranet", "configuration",
         "The intranet servers send the certificate without the new intermediate.",
         "Use the intranet's alternative address until the chain is fixed.",
         "Full chain installed on every intranet server."),
    ],
}
# (resolution code, weight in twentieths, notes)
PROBLEM_RESOLUTIONS = [
    ("fixed", 14, "Permanent fix in production; no related incidents since."),
    ("workaround_accepted", 3, "The workaround is accepted as the fix; the known error stays published."),
    ("risk_accepted", 2, "Risk accepted by the service owner: the fix costs more than the impact."),
    ("duplicate", 1, "Duplicate of a problem already under investigation."),
]
PROBLEM_CANCEL_REASONS = ["Raised in error.", "Not a problem: one-off incidents with different causes.",
                          "Merged into another problem."]
PROBLEM_REVIEW_DAYS = 30  # resolved problems are closed by an agent after the post-implementation review


@dataclass
class _ProblemLookups:
    """Per scenario arrays (and the group members) the problem INSERT picks from, as for incidents."""

    titles: list = field(default_factory=list)
    descriptions: list = field(default_factory=list)
    descriptions_html: list = field(default_factory=list)
    category_ids: list = field(default_factory=list)
    services: list = field(default_factory=list)
    cause_categories: list = field(default_factory=list)
    causes: list = field(default_factory=list)
    workarounds: list = field(default_factory=list)
    fixes: list = field(default_factory=list)
    group_ids: list = field(default_factory=list)
    member_offsets: list = field(default_factory=list)
    member_counts: list = field(default_factory=list)
    members: list = field(default_factory=list)
    fallback_agent: int | None = None  # raises a scenario's problems when its group has no active agent
    priorities: list = field(default_factory=list)


def _problem_lookups() -> _ProblemLookups:
    from accounts.models import User
    from tickets.models import Impact, Urgency
    from tickets.services import compute_priority

    found = _ProblemLookups()
    groups, categories, members_of = _groups_and_members(found.members)
    for group_name, items in PROBLEM_SCENARIOS.items():
        offset, members = members_of[groups[group_name]]
        for title, description, category, service, cause_category, cause, workaround, fix in items:
            found.titles.append(title)
            found.descriptions.append(description)
            found.descriptions_html.append(markdown.render(description))
            found.category_ids.append(categories.get(category))
            found.services.append(service)
            found.cause_categories.append(cause_category)
            found.causes.append(cause)
            found.workarounds.append(workaround)
            found.fixes.append(fix)
            found.group_ids.append(groups[group_name])
            found.member_offsets.append(offset)
            found.member_counts.append(len(members))
    found.fallback_agent = (User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN])
                            .order_by("pk").values_list("pk", flat=True).first())
    found.priorities = [compute_priority(impact, urgency) for impact in Impact.values for urgency in Urgency.values]
    return found


INSERT_PROBLEMS = """
INSERT INTO problems_problem (
    number, title, description, description_html, channel, impact, urgency, priority, opened_at,
    first_response_at, resolved_at, closed_at, updated_at, version, state, affected_service, root_cause_category,
    root_cause, workaround, permanent_fix, rca_notes, resolution_code, resolution_notes, cancel_reason,
    known_error_published_at, assignee_id, assignment_group_id, category_id, created_by_id, requester_id)
SELECT
    'PRB' || lpad(st.num::text, greatest(%(digits)s, length(st.num::text)), '0'),
    CASE WHEN st.r_site < 0.7 THEN (%(titles)s::text[])[st.s]
         ELSE (%(titles)s::text[])[st.s] || ' ('
              || (%(sites)s::text[])[1 + floor((st.r_site - 0.7) / 0.3 * cardinality(%(sites)s::text[]))::int] || ')' END,
    (%(descriptions)s::text[])[st.s], (%(descriptions_html)s::text[])[st.s],
    st.channel, st.impact, st.urgency, st.priority, st.opened_at,
    NULL,
    CASE WHEN st.state IN ('resolved', 'closed') THEN st.resolved_at END,
    CASE st.state WHEN 'closed' THEN st.reviewed_at WHEN 'cancelled' THEN st.cancelled_at END,
    CASE st.state WHEN 'closed' THEN st.reviewed_at WHEN 'resolved' THEN st.resolved_at
                  WHEN 'cancelled' THEN st.cancelled_at WHEN 'new' THEN st.opened_at ELSE st.touched_at END,
    1, st.state,
    (%(services)s::text[])[st.s],
    CASE WHEN st.has_cause AND st.r_detail < 0.9 THEN (%(cause_categories)s::text[])[st.s] ELSE '' END,
    CASE WHEN st.has_cause THEN (%(causes)s::text[])[st.s] ELSE '' END,
    CASE WHEN st.has_workaround THEN (%(workarounds)s::text[])[st.s] ELSE '' END,
    CASE WHEN st.state IN ('resolved', 'closed') AND st.code = 'fixed' THEN (%(fixes)s::text[])[st.s] ELSE '' END,
    CASE WHEN (st.has_cause AND st.r_notes < 0.8) OR (st.state = 'root_cause_analysis' AND st.r_notes < 0.5)
         THEN format(E'First related incidents on %%s.\n\n1. Why? %%s',
                     to_char(st.opened_at, 'YYYY-MM-DD'), (%(causes)s::text[])[st.s]) ELSE '' END,
    CASE WHEN st.state IN ('resolved', 'closed') THEN st.code ELSE '' END,
    CASE WHEN st.state IN ('resolved', 'closed') THEN (%(notes)s::text[])[st.code_index] ELSE '' END,
    CASE WHEN st.state = 'cancelled' THEN (%(cancels)s::text[])[1 + floor(st.r_detail * cardinality(%(cancels)s::text[]))::int] ELSE '' END,
    -- a published known error needs a workaround; most are retired once the fix is in
    CASE WHEN st.has_workaround AND st.r_pub < (CASE WHEN st.state IN ('resolved', 'closed') THEN 0.3 ELSE 0.6 END)
         THEN st.opened_at + (CASE WHEN st.state IN ('resolved', 'closed') THEN st.resolved_at ELSE st.touched_at END
                              - st.opened_at) * st.r_pub END,
    CASE WHEN st.state = 'new' OR (%(member_counts)s::int[])[st.s] = 0 THEN NULL
         ELSE (%(members)s::bigint[])[1 + (%(member_offsets)s::int[])[st.s] + floor(st.r_member * (%(member_counts)s::int[])[st.s])::int] END,
    (%(group_ids)s::bigint[])[st.s], (%(category_ids)s::bigint[])[st.s], st.raised_by, st.raised_by
FROM (
    SELECT r.*,
           r.state IN ('fix_in_progress', 'resolved', 'closed') AS has_cause,
           (r.state = 'root_cause_analysis' AND r.r_workaround < 0.5)
             OR (r.state IN ('fix_in_progress', 'resolved', 'closed') AND r.r_workaround < 0.75) AS has_workaround
    FROM (
        SELECT p.*,
               CASE WHEN p.r_open < exp(-6 * p.age) THEN
                        CASE WHEN p.r_kind < 0.15 THEN 'new' WHEN p.r_kind < 0.35 THEN 'assess'
                             WHEN p.r_kind < 0.75 THEN 'root_cause_analysis' ELSE 'fix_in_progress' END
                    WHEN p.r_kind < 0.08 THEN 'cancelled'
                    WHEN p.reviewed_at < %(now)s THEN 'closed'
                    ELSE 'resolved' END AS state
        FROM (
            SELECT q.*, (%(priorities)s::int[])[(q.impact - 1) * 3 + q.urgency] AS priority,
                   (%(codes)s::text[])[q.code_index] AS code,
                   q.opened_at + (%(now)s - q.opened_at) * (0.1 + 0.9 * q.r_touch) AS touched_at,
                   q.opened_at + LEAST((%(now)s - q.opened_at) * 0.5, interval '1 day' * (1 + 30 * q.r_res)) AS cancelled_at,
                   q.resolved_at + %(review)s * interval '1 day' * q.r_close AS reviewed_at,
                   CASE WHEN (%(member_counts)s::int[])[q.s] = 0 THEN %(fallback_agent)s::bigint
                        ELSE (%(members)s::bigint[])[1 + (%(member_offsets)s::int[])[q.s]
                                                     + floor(q.r_raiser * (%(member_counts)s::int[])[q.s])::int] END AS raised_by
            FROM (
                SELECT o.*,
                       o.opened_at + LEAST((%(now)s - o.opened_at) * 0.9,
                                           interval '1 day' * (2 + 120 * o.r_res * o.r_res)) AS resolved_at
                FROM (
                    SELECT g, nextval(%(sequence)s) AS num,
                           1 - (g - 0.5)::float8 / %(n)s AS age,
                           %(now)s - %(history)s * interval '1 day' * (1 - (g - 0.5)::float8 / %(n)s) - interval '1 second' * floor(random() * 3600) AS opened_at,
                           (ARRAY[1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3])[1 + floor(random() * 20)::int] AS impact,
                           (ARRAY[1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3])[1 + floor(random() * 20)::int] AS urgency,
                           1 + floor(random() * cardinality(%(titles)s::text[]))::int AS s,
                           1 + floor(random() * cardinality(%(codes)s::text[]))::int AS code_index,
                           (ARRAY['phone', 'phone', 'phone', 'phone', 'phone', 'phone', 'email', 'email', 'email', 'email',
                                  'monitoring', 'monitoring', 'monitoring', 'monitoring', 'monitoring',
                                  'api', 'api', 'api', 'api', 'api'])[1 + floor(random() * 20)::int] AS channel,
                           random() AS r_open, random() AS r_kind, random() AS r_res, random() AS r_close,
                           random() AS r_touch, random() AS r_detail, random() AS r_member, random() AS r_raiser,
                           random() AS r_site, random() AS r_workaround, random() AS r_notes, random() AS r_pub
                    FROM generate_series(1, %(n)s) AS g
                    OFFSET 0  -- a fence: each random() above is drawn once per row, not re-evaluated where it is used
                ) o
            ) q
        ) p
    ) r
) st
"""


def _insert_problems(tenant, n: int) -> int:
    found = _problem_lookups()
    if found.fallback_agent is None:
        raise ValueError(f"tenant {tenant.slug} has no active agent to raise problems")
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PROBLEMS, {
            **found.__dict__,
            "n": n, "now": timezone.now(), "history": HISTORY_DAYS, "review": PROBLEM_REVIEW_DAYS,
            "sequence": numbering.sequence_name("PRB"), "digits": numbering.NUMBER_DIGITS,
            "sites": scenarios.SITES, "cancels": PROBLEM_CANCEL_REASONS,
            "codes": [code for code, weight, _ in PROBLEM_RESOLUTIONS for _ in range(weight)],
            "notes": [notes for _, weight, notes in PROBLEM_RESOLUTIONS for _ in range(weight)],
        })
        return cursor.rowcount


def _insert_created_entries(model, after_id: int) -> None:
    """The "created" entry ``tickets.services.create_ticket`` writes, for every new row of ``model``."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO tickets_timelineentry (ticket_type, ticket_id, kind, is_public, author_id, channel, body,
                                               body_html, data, created_at)
            SELECT %s, t.id, 'created', true, t.created_by_id, t.channel, '', '',
                   jsonb_build_object('state', 'new', 'priority', t.priority), t.opened_at
            FROM {table} t WHERE t.id > %s
            """,
            [ticket_type_label(model), after_id],
        )


def _analyze(table: str) -> None:
    """Fresh statistics for the planner; outside a transaction also VACUUM so index-only scans and hint bits are ready."""
    statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for name in (table, "tickets_timelineentry", "accounts_user", "accounts_assignmentgroup_members"):
            cursor.execute(f"{statement} {connection.ops.quote_name(name)}")
