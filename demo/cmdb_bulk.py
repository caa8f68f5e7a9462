"""Bulk-load a realistic CMDB into one tenant with set-based SQL (100,000 CIs, 300,000 relationships in seconds).

For the impact benchmark (``bench/cmdb_impact.py``); the product never imports ``bench/``, so it lives here.

Shape: ``sites`` data-centre sites of 5,000 CIs and 15,000 relationships each (20 sites: 100,000 / 300,000).
Per site: 2 core switches, 4 distribution, 20 access switches, 2 firewalls, 1,500 servers (70% Linux),
50 clusters, 500 databases, 1,000 applications, 250 application services, 25 business services and
1,647 laptops. A failure travels (``RelationshipType.impact``) like this::

    core <-> core (connects_to both ways: a cycle)    dist -> both cores, dist ring (a cycle)
    access -> 2 dists   firewall -> both cores   server -> 2 access   laptop -> 1 or 2 access
    server member_of cluster (servers 0-499)   database runs_on server (500-999)
    application runs_on 2 servers (1000-1499), every other one also runs_on a cluster
    application depends_on 3 databases (every tenth: the third one in the next site: shared databases)
    application depends_on application (a 10-ary tree: apps 10+ depend on app i // 10)
    application service depends_on 4 applications; business service depends_on 6 application services
    every business service depends_on one of site 0's platform application services (246-249, "shared")

So a core switch of site 0 reaches all 500 business services through the platform, one of another site its
own site and the shared databases' users. Every CI is live, stamped as seen by ``bulk-discovery`` in the last
20 days (5% 40-60 days ago: stale), with one "created" history row. Names are
``<prefix>-s<site>-<index>`` (``core-sw-s01-0000``, ``service-s03-0012``; ``name()``).

Idempotent: a tenant that already holds the bulk estate is left alone unless ``replace=True`` (which deletes
the bulk CIs first). Meant for benchmark tenants: the load takes its table locks until it commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django_tenants.utils import schema_context

from demo import indexes

SOURCE = "bulk-discovery"
# kind: (name prefix, class key, CIs per site)
KINDS = {
    "core": ("core-sw", "network_device", 2),
    "dist": ("dist-sw", "network_device", 4),
    "access": ("acc-sw", "network_device", 20),
    "fw": ("fw", "network_device", 2),
    "server": ("srv", None, 1500),  # a linux_server, or a windows_server when idx % 10 >= 7 (30%)
    "cluster": ("cluster", "cluster", 50),
    "db": ("db", "database", 500),
    "app": ("app", "application", 1000),
    "appsvc": ("appsvc", "application_service", 250),
    "biz": ("service", "business_service", 25),
    "laptop": ("LT", "end_user_device", 1647),
}
CIS_PER_SITE = sum(count for _, _, count in KINDS.values())
LAPTOPS_ON_TWO_LINKS = 1630

# (source kind, type key, target kind, join condition on a (source) and b (target), with S = number of sites)
RULES = [
    ("core", "connects_to", "core", "b.site = a.site AND b.idx = 1 - a.idx"),
    ("dist", "connects_to", "core", "b.site = a.site"),
    ("dist", "connects_to", "dist", "b.site = a.site AND b.idx = (a.idx + 1) % 4"),
    ("access", "connects_to", "dist", "b.site = a.site AND b.idx IN (a.idx % 4, (a.idx + 1) % 4)"),
    ("fw", "connects_to", "core", "b.site = a.site"),
    ("server", "connects_to", "access", "b.site = a.site AND b.idx = a.idx % 20"),
    ("server", "connects_to", "access", "b.site = a.site AND b.idx = (a.idx + 1) % 20"),
    ("laptop", "connects_to", "access", "b.site = a.site AND b.idx = a.idx % 20"),
    ("laptop", "connects_to", "access", f"a.idx < {LAPTOPS_ON_TWO_LINKS} AND b.site = a.site AND b.idx = (a.idx + 7) % 20"),
    ("server", "member_of", "cluster", "a.idx < 500 AND b.site = a.site AND b.idx = a.idx / 10"),
    ("db", "runs_on", "server", "b.site = a.site AND b.idx = 500 + a.idx"),
    ("app", "runs_on", "server", "b.site = a.site AND b.idx = 1000 + a.idx / 2"),
    ("app", "runs_on", "server", "b.site = a.site AND b.idx = 1000 + (a.idx / 2 + 1) % 500"),
    ("app", "runs_on", "cluster", "a.idx % 2 = 0 AND b.site = a.site AND b.idx = a.idx % 50"),
    ("app", "depends_on", "db", "b.site = a.site AND b.idx = (a.idx * 3) % 500"),
    ("app", "depends_on", "db", "b.site = a.site AND b.idx = (a.idx * 3 + 1) % 500"),
    ("app", "depends_on", "db", "b.site = CASE WHEN a.idx % 10 = 0 THEN (a.site + 1) % {S} ELSE a.site END "
                                "AND b.idx = (a.idx * 3 + 2) % 500"),
    ("app", "depends_on", "app", "a.idx >= 10 AND b.site = a.site AND b.idx = a.idx / 10"),
    ("appsvc", "depends_on", "app", "b.site = a.site AND b.idx / 4 = a.idx"),
    ("biz", "depends_on", "appsvc", "b.site = a.site AND b.idx BETWEEN a.idx * 10 AND a.idx * 10 + 5"),
    ("biz", "depends_on", "appsvc", "b.site = 0 AND b.idx = 246 + a.idx % 4"),
]
RELATIONSHIPS_PER_SITE = 15000
TABLES = ("cmdb_ci", "cmdb_relationship", "cmdb_cihistory", "cmdb_sighting")


@dataclass
class CMDBSeedReport:
    cis: int = 0
    relationships: int = 0
    seconds: float = 0.0
    created: bool = False
    phases: dict = field(default_factory=dict)


def name(kind: str, site: int, index: int) -> str:
    """The seeded CI's name: ``name("core", 1, 0)`` is ``core-sw-s01-0000``."""
    return f"{KINDS[kind][0]}-s{site:02d}-{index:04d}"


def bulk_seed_cmdb(tenant, *, sites: int = 20, replace: bool = False, stdout=None) -> CMDBSeedReport:
    """Load ``sites`` x 5,000 CIs in one transaction; the report counts the tenant's CIs and relationships."""
    started = time.perf_counter()
    with schema_context(tenant.schema_name), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cmdb_ci WHERE name LIKE 'core-sw-s%'")
            present = cursor.fetchone()[0]
            if present and not replace:
                return _report(cursor, started, created=False)
            phases = {}
            mark = time.perf_counter()
            if present:
                _delete_bulk(cursor)
                mark = _lap(phases, "delete", mark)
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            # Building each index once over the loaded rows beats maintaining it row by row.
            dropped = indexes.drop_secondary(*TABLES)
            mark = _lap(phases, "drop indexes and foreign keys", mark)
            _insert(cursor, sites, tenant.slug)
            mark = _lap(phases, "insert", mark)
            indexes.rebuild(dropped)
            mark = _lap(phases, "indexes and foreign keys", mark)
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")
            _lap(phases, "analyze", mark)
            report = _report(cursor, started, created=True)
            report.phases = phases
    if stdout:
        stdout.write(f"cmdb: {report.cis} CIs, {report.relationships} relationships in {report.seconds:.1f} s")
    return report


def _lap(phases: dict, name: str, mark: float) -> float:
    now = time.perf_counter()
    phases[name] = round(now - mark, 2)
    return now


def _report(cursor, started, *, created) -> CMDBSeedReport:
    cursor.execute("SELECT (SELECT count(*) FROM cmdb_ci), (SELECT count(*) FROM cmdb_relationship)")
    cis, relationships = cursor.fetchone()
    return CMDBSeedReport(cis, relationships, round(time.perf_counter() - started, 2), created)


def _delete_bulk(cursor) -> None:
    prefixes = [f"{prefix}-s%" for prefix, _, _ in KINDS.values()]
    cursor.execute("CREATE TEMP TABLE bulk_gone ON COMMIT DROP AS SELECT id FROM cmdb_ci WHERE name LIKE ANY(%s)",
                   [prefixes])
    for table, column in (("cmdb_relationship", "source_id"), ("cmdb_relationship", "target_id"),
                          ("cmdb_cihistory", "ci_id"), ("cmdb_sighting", "ci_id"), ("cmdb_affectedci", "ci_id")):
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM bulk_gone)")
    cursor.execute("DELETE FROM cmdb_ci WHERE id IN (SELECT id FROM bulk_gone)")


def _insert(cursor, sites: int, slug: str) -> None:
    cursor.execute("SELECT key, id FROM cmdb_ciclass")
    classes = dict(cursor.fetchall())
    cursor.execute("SELECT key, id FROM cmdb_relationshiptype")
    types = dict(cursor.fetchall())
    cursor.execute("CREATE TEMP TABLE bulk_ci (id bigint, kind text, site int, idx int, class_id bigint) ON COMMIT DROP")
    for kind, (_, class_key, count) in KINDS.items():
        class_sql = (f"CASE WHEN i % 10 >= 7 THEN {classes['windows_server']} ELSE {classes['linux_server']} END"
                     if class_key is None else str(classes[class_key]))
        cursor.execute(
            f"""INSERT INTO bulk_ci SELECT nextval(pg_get_serial_sequence('cmdb_ci', 'id')), '{kind}', s, i, {class_sql}
                  FROM generate_series(0, {int(sites)} - 1) s, generate_series(0, {count} - 1) i ORDER BY s, i""")
    cursor.execute("CREATE INDEX ON bulk_ci (kind, site, idx)")
    cursor.execute("ANALYZE bulk_ci")
    prefixes = "CASE b.kind " + " ".join(f"WHEN '{k}' THEN '{p}'" for k, (p, _, _) in KINDS.items()) + " END"
    hardware = "b.kind IN ('core', 'dist', 'access', 'fw', 'server', 'laptop')"
    # Discovery saw everything recently but 5%, unseen for 40-60 days (the staleness report's share).
    seen = """now() - CASE WHEN b.idx % 20 = 3 THEN interval '40 days' + (b.idx % 21) * interval '1 day'
                          ELSE (b.idx % 480) * interval '1 hour' END"""
    cursor.execute(
        f"""
        INSERT INTO cmdb_ci (id, name, ci_class_id, status, environment, criticality, description, attributes,
                             serial_number, fqdn, ip_addresses, mac_addresses, cloud_id, last_seen_at,
                             created_at, updated_at, version)
        SELECT b.id, {prefixes} || '-s' || lpad(b.site::text, 2, '0') || '-' || lpad(b.idx::text, 4, '0'),
               b.class_id, 'live', 'production',
               CASE WHEN b.kind IN ('core', 'fw') OR (b.kind = 'biz' AND b.idx < 5) THEN 1
                    WHEN b.kind IN ('dist', 'biz', 'appsvc') THEN 2 WHEN b.kind = 'laptop' THEN 4 ELSE 3 END,
               '',
               CASE b.kind
                 WHEN 'core' THEN '{{"device_role": "core", "manufacturer": "Cisco"}}'::jsonb
                 WHEN 'dist' THEN '{{"device_role": "distribution", "manufacturer": "Cisco"}}'::jsonb
                 WHEN 'access' THEN '{{"device_role": "access", "manufacturer": "Aruba"}}'::jsonb
                 WHEN 'fw' THEN '{{"device_role": "firewall", "manufacturer": "Palo Alto Networks"}}'::jsonb
                 WHEN 'server' THEN jsonb_build_object('cpu_cores', 8 << (b.idx % 3), 'memory_gb', (32 << (b.idx % 3))::text)
                 WHEN 'db' THEN jsonb_build_object('engine', (ARRAY['PostgreSQL', 'SQL Server', 'Oracle', 'MySQL'])[b.idx % 4 + 1])
                 WHEN 'app' THEN jsonb_build_object('version', (b.idx % 9 + 1) || '.' || (b.idx % 7))
                 WHEN 'laptop' THEN '{{"device_type": "laptop", "manufacturer": "Lenovo"}}'::jsonb
                 ELSE '{{}}'::jsonb END,
               CASE WHEN {hardware} THEN 'BULK-' || b.id ELSE '' END,
               CASE WHEN {hardware} THEN lower({prefixes}) || '-s' || lpad(b.site::text, 2, '0') || '-'
                                         || lpad(b.idx::text, 4, '0') || '.{slug}.example' ELSE '' END,
               CASE WHEN {hardware} THEN ARRAY[('10.' || b.site || '.' || (b.id / 250) % 250 || '.' || b.id % 250 + 1)::inet]
                    ELSE '{{}}' END,
               '{{}}', '', {seen}, now(), now(), 1
          FROM bulk_ci b ORDER BY b.id
        """)
    cursor.execute(f"""INSERT INTO cmdb_sighting (ci_id, source, first_seen, last_seen)
                       SELECT id, '{SOURCE}', last_seen_at - interval '90 days', last_seen_at FROM cmdb_ci
                        WHERE id IN (SELECT id FROM bulk_ci)""")
    cursor.execute(f"""INSERT INTO cmdb_cihistory (ci_id, kind, source, data, created_at)
                       SELECT id, 'created', '{SOURCE}', '{{}}', now() FROM bulk_ci""")
    for source_kind, type_key, target_kind, condition in RULES:
        cursor.execute(
            f"""INSERT INTO cmdb_relationship (type_id, source_id, target_id, discovered_by, created_at)
                SELECT {types[type_key]}, a.id, b.id, '{SOURCE}', now() FROM bulk_ci a JOIN bulk_ci b
                    ON a.kind = '{source_kind}' AND b.kind = '{target_kind}' AND ({condition.format(S=int(sites))})""")

