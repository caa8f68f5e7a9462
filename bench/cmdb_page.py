"""Benchmark the desk's CI page (/desk/cmdb/<id>/) on the 100,000-CI / 300,000-relationship estate.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/cmdb_page.py [--runs 50] [--gunicorn]

Uses tenant ``cmdbbench`` as ``bench/cmdb_impact.py`` seeds it (seeded here too if missing), an agent
``agent@cmdbbench.test`` of its own, and production settings (DEBUG off). For each representative CI (a
core switch: thousands of CIs downstream; an access switch: the most relationships; a Linux server hosting
applications; an application; a business service) it requests the full page (graph at its default depth,
impact list, relationships, history, sightings, tickets):

1. in-process through Django's test Client, logged in, on the tenant's host: the whole request/response
   cycle (middleware, tenant routing, session, view, template) with no socket. Wall median / p95 of ``--runs``
   requests after 3 warm-up ones, and the CPU per request of this process and of its PostgreSQL backend
   (read from /proc: on a shared machine the wall time includes waiting for a core, the CPU time does not);
   the SQL queries per page (counted on a separate request); and the wall time of each part of the page
   (each ``_page_context`` piece called alone, plus the template), to show where the time goes;
2. with ``--gunicorn``: the same pages from one gunicorn sync worker (bench/server.py, as bench/run.py runs
   it), logged in through the login form, timed by a loopback client (a new connection per request) and by
   the server itself (the ``duration_ms`` that itsm.middleware.RequestLogMiddleware logs per request).

``--profile`` prints a cProfile of the core switch's page. Writes bench/results/cmdb-page-latest.md. See
bench/README.md, section "Issue 11: CMDB CI page".
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

from bench import server  # noqa: E402

RESULTS = BENCH_DIR / "results"
TENANT = "cmdbbench"
AGENT = f"agent@{TENANT}.test"
PASSWORD = "bench-cipage"
TARGET_MS = 100
# (what it stands for, demo.cmdb_bulk kind, site, index)
PAGES = [
    ("core network device", "core", 1, 0),
    ("access switch: 316 relationships, 200 listed", "access", 1, 0),
    ("Linux server hosting 4 applications", "server", 1, 1000),
    ("application (mid-tree)", "app", 1, 1),
    ("business service", "biz", 1, 3),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="Timed requests per page (after 3 warm-up ones).")
    parser.add_argument("--gunicorn", action="store_true", help="Also time the pages from a real gunicorn worker.")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of the core switch's page.")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once Django is loaded (in-process only), as bench/cmdb_impact.py does.")
    return parser.parse_args(argv)


def setup_django():
    os.environ.update(server.SERVER_ENV)
    os.environ.setdefault("DB_POOL", "0")
    import django

    django.setup()


def ensure_agent(tenant):
    from django_tenants.utils import schema_context

    from accounts.models import User

    with schema_context(tenant.schema_name):
        agent = User.objects.filter(email=AGENT).first() or User.objects.create_user(
            AGENT, PASSWORD, full_name="Bench Agent", role=User.Role.AGENT)
        if not agent.check_password(PASSWORD):
            agent.set_password(PASSWORD)
            agent.save(update_fields=["password"])
    return agent


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)] if ordered else float("nan")


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def in_process(client, path: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import cpu

    for _ in range(3):
        assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    sql = [q["sql"] for q in queries.captured_queries]  # read now: the next request empties the log
    backend = _backend_pid()
    samples = []
    app_before, db_before = time.process_time(), cpu._cpu_seconds(backend)
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    return {"median": round(statistics.median(samples), 1), "p95": round(percentile(samples, 95), 1),
            "app_cpu": round((time.process_time() - app_before) * 1000 / runs, 1),
            "db_cpu": round((cpu._cpu_seconds(backend) - db_before) * 1000 / runs, 1),
            "queries": sum(1 for q in sql if not q.startswith("SET search_path")), "bytes": len(response.content)}


def parts(ci, runs: int, agent, tenant) -> dict:
    """Median wall ms of each piece of the page, called alone (as ``cmdb.views_desk._page_context`` calls it)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from cmdb import ci_page, graph, queries
    from cmdb.forms import RelationshipForm
    from cmdb.models import RelationshipType
    from cmdb.views_desk import _page_context

    types = list(RelationshipType.objects.order_by("name"))
    services = queries.business_service_class_ids()
    lineage = queries.lineage(ci.ci_class)
    pieces = {
        "graph (depth 2)": lambda: graph.build(ci, depth=graph.DEFAULT_DEPTH, service_class_ids=services),
        "impact list": lambda: ci_page.impact_of(ci, types, services),
        "relationships": lambda: ci_page.relationships(ci),
        "history": lambda: ci_page.history(ci),
        "sightings": lambda: ci_page.sightings(ci),
        "attributes": lambda: ci_page.attribute_groups(ci, lineage),
        "tickets": lambda: ci_page.tickets_naming(ci),
        "form": lambda: str(RelationshipForm(ci=ci, relationship_types=types)),
    }
    request = RequestFactory().get(f"/desk/cmdb/{ci.pk}/")
    request.user, request.tenant, request.htmx = agent, tenant, False
    context = _page_context(request, ci)
    pieces["template"] = lambda: render_to_string("cmdb/desk/detail.html", context, request=request)
    out = {}
    for label, call in pieces.items():
        call()
        samples = []
        for _ in range(max(5, runs // 5)):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        out[label] = round(statistics.median(samples), 1)
    return out


def describe(ci) -> str:
    from cmdb import impact

    up = len(impact.upstream([ci.pk]))
    down = len(impact.downstream([ci.pk]))
    return f"{up:,} up / {down:,} down"


def over_gunicorn(host: str, paths: list[str], runs: int) -> dict:
    """Client-side wall time per page and the server's own: ``duration_ms`` of the request's log line
    (itsm.middleware.RequestLogMiddleware, the outermost middleware), logged at INFO for this run only."""
    import json

    from bench import latency

    log_path = RESULTS / "cmdb-page-gunicorn.log"
    quiet = server.SERVER_ENV
    server.SERVER_ENV = {**quiet, "LOG_LEVEL": "INFO"}
    out = {}
    try:
        with server.gunicorn(host=host, workers=1, log_path=log_path) as (port, _):
            client = latency.Client(port, host)
            client.login(AGENT, PASSWORD)
            for path in paths:
                timings = latency.measure(client, "GET", path, runs, warmup=3)
                if set(timings.statuses) != {200}:
                    raise RuntimeError(f"{path}: HTTP {timings.statuses}")
                out[path] = {"median": round(timings.p50, 1), "p95": round(timings.p95, 1)}
    finally:
        server.SERVER_ENV = quiet
    logged = {}
    for line in log_path.read_text().splitlines():
        if line.startswith("{") and '"duration_ms"' in line:
            record = json.loads(line)
            logged.setdefault(record.get("path"), []).append(record["duration_ms"])
    for path in paths:
        server_ms = logged.get(path, [])[-runs:]  # after the warm-up requests
        out[path]["server_median"] = round(statistics.median(server_ms), 1) if server_ms else None
        out[path]["server_p95"] = round(percentile(server_ms, 95), 1) if server_ms else None
    return out


def profile(client, path: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def render(rows, loads) -> str:
    from bench import report

    head = ["| CI | class | reach (depth 10) | in-process median / p95 | CPU per page: app + DB | queries | "
            "page size | gunicorn: server median / p95 | gunicorn: client median / p95 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    import gc

    lines = [f"Machine: {report.machine()}",
             f"Garbage collector (in-process): {'frozen after setup' if gc.get_freeze_count() else 'as started'}",
             f"Load average (1, 5, 15 min) before: {' '.join(f'{v:.2f}' for v in loads[0])}", ""] + head
    for r in rows:
        m, g = r["in_process"], r.get("gunicorn")
        ok = "met" if m["p95"] <= TARGET_MS else "**missed**"
        served = f"{g['server_median']} / {g['server_p95']} ms | {g['median']} / {g['p95']} ms |" if g else "— | — |"
        lines.append(f"| {r['name']} ({r['label']}) | {r['class']} | {r['reach']} | "
                     f"{m['median']} / {m['p95']} ms ({ok}) | {m['app_cpu']} + {m['db_cpu']} ms | {m['queries']} | "
                     f"{m['bytes'] // 1024} KiB | {served}")
    labels = list(rows[0]["parts"])
    lines += ["", "Median wall ms of each part, called alone:", "",
              "| CI | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for r in rows:
        lines.append(f"| {r['name']} | " + " | ".join(str(r["parts"][label]) for label in labels) + " |")
    lines.append(f"\nLoad average after: {' '.join(f'{v:.2f}' for v in loads[1])}")
    return "\n".join(lines)


def main(argv=None) -> None:
    RESULTS.mkdir(exist_ok=True)
    args = parse_args(argv)
    setup_django()
    from django.db import connection
    from django.test import Client

    from bench.cmdb_impact import ensure_tenant
    from demo.cmdb_bulk import name
    from tenants import services as tenant_services

    tenant, _ = ensure_tenant(20, False)
    agent = ensure_agent(tenant)
    host = tenant_services.tenant_host(tenant.slug)
    client = Client(HTTP_HOST=host)
    connection.set_tenant(tenant)
    client.force_login(agent)
    from cmdb import ci_page

    if args.gc_freeze:
        import gc

        gc.collect()
        gc.freeze()
    loads = [os.getloadavg()]
    rows = []
    for label, kind, site, index in PAGES:
        connection.set_tenant(tenant)
        ci = ci_page.ci_for_page().get(name=name(kind, site, index))
        path = f"/desk/cmdb/{ci.pk}/"
        print(f"{ci.name}: {path}", flush=True)
        rows.append({"label": label, "name": ci.name, "class": ci.ci_class.name, "path": path,
                     "reach": describe(ci), "in_process": in_process(client, path, args.runs),
                     "parts": parts(ci, args.runs, agent, tenant)})
    if args.profile:
        profile(client, rows[0]["path"])
    if args.gunicorn:
        timed = over_gunicorn(host, [r["path"] for r in rows], args.runs)
        for r in rows:
            r["gunicorn"] = timed[r["path"]]
    loads.append(os.getloadavg())
    output = render(rows, loads)
    print(output)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cmdb-page-latest.md").write_text(output + "\n")


if __name__ == "__main__":
    main()
