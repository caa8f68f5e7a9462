"""Benchmark CMDB impact analysis: a core switch's downstream on 100,000 CIs and 300,000 relationships.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/cmdb_impact.py [--sites 20] [--runs 200]

Seeds (once) tenant ``cmdbbench`` with ``demo.cmdb_bulk.bulk_seed_cmdb`` (``--sites`` x 5,000 CIs and
15,000 relationships; ``--reseed`` replaces it), then measures with production settings (DEBUG off), warm,
in-process, for a core switch of site 1 (typical) and of site 0 (whose platform services every business
service uses: the widest reach):

1. ``cmdb.impact.downstream([core], depth=10)`` and ``impacted_services``: median and p95 of ``--runs`` calls
   (after 5 warm-up calls), wall time in Python including fetching and building the paths; the database's
   own share from EXPLAIN ANALYZE of the same SQL; the queries per call;
2. the naive approach: the same breadth-first walk from Python with the ORM, one query per CI reached
   (its relationships that carry a failure away from it), ``--naive-runs`` times, median; checked to reach
   the same CIs at the same depths; and the ratio;
3. the first version's SQL (every simple path enumerated with ``UNION ALL`` and a path array, then the
   shortest per CI), under a ``--timeout`` statement timeout, for the record.

Prints a markdown table and writes it to bench/results/cmdb-impact-latest.md. See bench/README.md,
section "Issue 11: CMDB impact".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

RESULTS = BENCH_DIR / "results"
TENANT = "cmdbbench"
DEPTH = 10
TARGET_MS = 50
TARGET_RATIO = 20

# The first version of cmdb/impact.py (commit 1c44e77), kept here only to measure what it cost.
PATH_ENUMERATION = """
    WITH RECURSIVE edge AS (
        SELECT r.target_id AS src, r.source_id AS dst, t.key AS kind
          FROM cmdb_relationship r JOIN cmdb_relationshiptype t ON t.id = r.type_id
         WHERE t.impact IN ('to_source', 'both')
        UNION ALL
        SELECT r.source_id, r.target_id, t.key
          FROM cmdb_relationship r JOIN cmdb_relationshiptype t ON t.id = r.type_id
         WHERE t.impact IN ('to_target', 'both')
    ),
    walk(ci_id, depth, path, via) AS (
        SELECT id, 0, ARRAY[id], ARRAY[]::text[] FROM cmdb_ci WHERE id = ANY(%s)
        UNION ALL
        SELECT e.dst, w.depth + 1, w.path || e.dst, w.via || e.kind::text
          FROM walk w JOIN edge e ON e.src = w.ci_id
         WHERE w.depth < %s AND NOT e.dst = ANY(w.path)
    )
    SELECT DISTINCT ON (ci_id) ci_id, depth, path, via FROM walk
     WHERE NOT ci_id = ANY(%s)
     ORDER BY ci_id, depth, path
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20, help="Sites of 5,000 CIs / 15,000 relationships.")
    parser.add_argument("--runs", type=int, default=200, help="Timed calls per measure (after 5 warm-up calls).")
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=30, help="Seconds allowed to the first version's SQL.")
    parser.add_argument("--reseed", action="store_true", help="Replace the bench estate before measuring.")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once Django is loaded, as a server could after loading the app: the "
                             "collector then no longer walks Django's own objects on every full pass.")
    return parser.parse_args(argv)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DB_POOL", "0")
    import django

    django.setup()


def ensure_tenant(sites: int, reseed: bool):
    from demo.cmdb_bulk import bulk_seed_cmdb
    from tenants import services as tenant_services
    from tenants.models import Tenant

    tenant_services.ensure_public_tenant()
    tenant = Tenant.objects.filter(slug=TENANT).first()
    if tenant is None:
        tenant = tenant_services.create_tenant(slug=TENANT, name="CMDB bench", admin_email=f"admin@{TENANT}.test",
                                               admin_name="Bench Admin", admin_password=None)
    return tenant, bulk_seed_cmdb(tenant, sites=sites, replace=reseed)


def timed(call, runs: int) -> dict:
    """Wall median / p95 in ms over ``runs`` warm calls, and the CPU per call of this process and of its
    PostgreSQL backend (read from /proc): on a shared machine the wall time includes waiting for a core,
    the CPU time does not, and their sum is what one call costs on two otherwise idle cores."""
    from django.db import connection

    from bench import cpu

    for _ in range(5):
        call()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    samples = []
    app_before, db_before = time.process_time(), cpu._cpu_seconds(backend)
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    app_ms = (time.process_time() - app_before) * 1000 / runs
    db_ms = (cpu._cpu_seconds(backend) - db_before) * 1000 / runs
    samples.sort()
    return {"median": round(statistics.median(samples), 1), "p95": round(samples[int(len(samples) * 0.95) - 1], 1),
            "app_cpu": round(app_ms, 1), "db_cpu": round(db_ms, 1)}


def naive_downstream(start_id: int, depth: int) -> tuple[dict[int, int], int]:
    """Breadth first from Python: one ORM query per CI reached, for the relationships leaving it.

    Returns each CI reached with its depth, and the number of queries.
    """
    from django.db.models import Q

    from cmdb.models import Relationship, RelationshipType

    carries_to_source = [RelationshipType.Impact.TO_SOURCE, RelationshipType.Impact.BOTH]
    carries_to_target = [RelationshipType.Impact.TO_TARGET, RelationshipType.Impact.BOTH]
    reached = {start_id: 0}
    frontier = [start_id]
    queries = 0
    for level in range(1, depth + 1):
        following = []
        for ci_id in frontier:
            queries += 1
            for source_id, target_id in Relationship.objects.filter(
                    Q(target_id=ci_id, type__impact__in=carries_to_source)
                    | Q(source_id=ci_id, type__impact__in=carries_to_target)).values_list("source_id", "target_id"):
                other = source_id if target_id == ci_id else target_id
                if other not in reached:
                    reached[other] = level
                    following.append(other)
        frontier = following
    del reached[start_id]
    return reached, queries


def database_ms(start_ids: list[int]) -> float:
    """Execution time PostgreSQL reports for the walk's SQL (EXPLAIN ANALYZE, no per-node timing)."""
    from django.db import connection

    from cmdb import impact

    with connection.cursor() as cursor:
        samples = []
        for _ in range(10):
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + impact._sql(True, False),
                           {"start": start_ids, "none": [None] * len(start_ids), "depth": DEPTH})
            samples.append(cursor.fetchone()[0][0]["Execution Time"])
    return round(statistics.median(samples), 2)


def path_enumeration(start_id: int, timeout_s: int) -> str:
    from django.db import connection, transaction
    from django.db.utils import OperationalError

    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = '{int(timeout_s)}s'")
            cursor.execute(PATH_ENUMERATION, [[start_id], DEPTH, [start_id]])
            rows = len(cursor.fetchall())
    except OperationalError:
        return f"cancelled after {timeout_s} s (statement timeout)"
    return f"{(time.perf_counter() - started) * 1000:.0f} ms ({rows} CIs)"


def measure(core_name: str, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import cpu
    from cmdb import impact
    from cmdb.models import CI

    core = CI.objects.get(name=core_name)
    reached = impact.downstream([core.pk], depth=DEPTH)
    counts = []
    for call in (impact.downstream, impact.impacted_services):
        with CaptureQueriesContext(connection) as queries:
            services = call([core.pk], depth=DEPTH)
        counts.append(str(len(queries)))
    result = {
        "core": core_name, "reached": len(reached), "services": len(services),
        "deepest": max(r.depth for r in reached), "queries": " / ".join(counts),
        "downstream": timed(lambda: impact.downstream([core.pk], depth=DEPTH), args.runs),
        "services_ms": timed(lambda: impact.impacted_services([core.pk], depth=DEPTH), args.runs),
        "database_ms": database_ms([core.pk]),
    }
    naive = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    app_before, db_before = time.process_time(), cpu._cpu_seconds(backend)
    for _ in range(args.naive_runs):
        started = time.perf_counter()
        walked, naive_queries = naive_downstream(core.pk, DEPTH)
        naive.append((time.perf_counter() - started) * 1000)
    result["naive_cpu"] = round(((time.process_time() - app_before) + (cpu._cpu_seconds(backend) - db_before))
                                * 1000 / args.naive_runs)
    result["naive_ms"] = round(statistics.median(naive), 1)
    result["naive_queries"] = naive_queries
    result["naive_agrees"] = walked == {r.ci_id: r.depth for r in reached}
    result["ratio"] = round(result["naive_ms"] / result["downstream"]["median"], 1)
    result["cpu_ratio"] = round(result["naive_cpu"] / (result["downstream"]["app_cpu"] + result["downstream"]["db_cpu"]), 1)
    result["first_version"] = path_enumeration(core.pk, args.timeout)
    return result


def render(seed, results: list[dict], load: tuple) -> str:
    from bench import report

    import gc

    lines = [f"Garbage collector: {'frozen after setup' if gc.get_freeze_count() else 'as started'}",
             f"Estate: {seed.cis:,} CIs, {seed.relationships:,} relationships"
             + (f" (seeded in {seed.seconds} s: {seed.phases})" if seed.created else " (seeded earlier)"),
             f"Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; machine: {report.machine()}", "",
             "| core switch | CIs reached (deepest) | services | downstream median / p95 (wall) | CPU per call: app + DB | "
             "database (EXPLAIN ANALYZE) | impacted_services median / p95 | queries (downstream / services) | "
             "naive (ORM, one query per CI): wall median, CPU | ratio: wall medians, CPU | first version (path enumeration) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        down, services = r["downstream"], r["services_ms"]
        ok = "met" if down["p95"] <= TARGET_MS else "**missed**"
        ratio_ok = "met" if r["ratio"] >= TARGET_RATIO else "**missed**"
        lines.append(
            f"| {r['core']} | {r['reached']:,} ({r['deepest']}) | {r['services']} | "
            f"{down['median']} / {down['p95']} ms ({ok}) | {down['app_cpu']} + {down['db_cpu']} ms | "
            f"{r['database_ms']} ms | {services['median']} / {services['p95']} ms | {r['queries']} | "
            f"{r['naive_ms']:,} ms, {r['naive_cpu']:,} ms CPU, {r['naive_queries']:,} queries"
            f"{'' if r['naive_agrees'] else ' (DISAGREES)'} | {r['ratio']}x, {r['cpu_ratio']}x ({ratio_ok}) | "
            f"{r['first_version']} |")
    lines.append(f"\nLoad average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    setup_django()
    from django.db import connection

    from demo.cmdb_bulk import name

    tenant, seed = ensure_tenant(args.sites, args.reseed)
    connection.set_tenant(tenant)
    if args.gc_freeze:
        import gc

        gc.collect()
        gc.freeze()
    load = os.getloadavg()
    cores = [name("core", 1 % args.sites, 0), name("core", 0, 0)]
    results = [measure(core, args) for core in dict.fromkeys(cores)]
    output = render(seed, results, load)
    print(output)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cmdb-impact-latest.md").write_text(output + "\n")


if __name__ == "__main__":
    main()
