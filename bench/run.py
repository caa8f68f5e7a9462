"""Benchmark the service desk against a tenant holding 1,000,000 incidents.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/run.py [--incidents 1000000] [--tenant acme]

Tops the tenant up to ``--incidents`` (``manage.py seed_demo``), starts gunicorn
(2 sync workers, production settings, notifications enqueued to Redis), then
measures sequential latency, SQL queries per request and throughput from 8
concurrent wrk clients. Prints a markdown table and writes it, with the details,
to bench/results/latest.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Run as a script: import the project, not sibling modules shadowing the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

from bench import cpu, latency, loadgen, report, server, whatif  # noqa: E402

RESULTS = BENCH_DIR / "results"
LIST_PATH = "/api/v1/incidents/?state=in_progress&assignment_group={group}&page_size={size}"
DETAIL_PATH = "/api/v1/incidents/{number}/"
CREATE_PATH = "/api/v1/incidents/"
QUEUE_PATH = "/desk/incidents/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--incidents", type=int, default=1_000_000, help="Top the tenant up to this many first.")
    parser.add_argument("--agent", default=None, help="Agent email (default agent@<tenant>.example).")
    parser.add_argument("--password", default="demo", help="The agent's password, for the queue page login.")
    parser.add_argument("--requests", type=int, default=300, help="Sequential requests per endpoint.")
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per endpoint.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--no-wrk", action="store_true", help="Skip the throughput runs.")
    parser.add_argument("--what-if", action="append", default=[], choices=sorted(whatif.EXPERIMENTS),
                        help="Measure a proposed change (bench/whatif.py); repeatable. Writes what-if-<names>.md.")
    parser.add_argument("--keep-queue", action="store_true",
                        help="Leave the notification messages the run enqueued in Redis (default: remove them).")
    return parser.parse_args()


def seed(args) -> dict:
    """Top up the tenant; a run that inserted nothing reports the last measured seeding instead."""
    started = time.perf_counter()
    output = server.manage("seed_demo", "--tenant", args.tenant, "--incidents", str(args.incidents))
    wall = time.perf_counter() - started
    match = re.search(r"inserted (\d+) incidents in ([\d.]+) s", output)
    saved = RESULTS / f"seeding-{args.tenant}.json"
    if match and int(match.group(1)) >= 0.9 * args.incidents:
        result = {"inserted": int(match.group(1)), "seconds": float(match.group(2)), "command_seconds": round(wall, 1),
                  "phases": re.findall(r"^\s+(.+): ([\d.]+) s$", output, re.M), "measured_at": _now()}
        saved.write_text(json.dumps(result, indent=2))
        return result | {"this_run": True}
    if saved.exists():
        return json.loads(saved.read_text()) | {"this_run": False}
    return {"this_run": False, "inserted": int(match.group(1)) if match else 0, "seconds": None}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def setup_django(experiments):
    os.environ.update(server.SERVER_ENV)
    import django

    django.setup()
    whatif.apply(experiments)


def pick_targets(tenant) -> dict:
    """The busiest group's in-progress list (the worst case) and a spread of incidents for detail."""
    from django.db import connection
    from django.db.models import Count
    from django_tenants.utils import schema_context

    from incidents.models import Incident

    with schema_context(tenant.schema_name):
        busiest = (Incident.objects.filter(state="in_progress").values("assignment_group")
                   .annotate(n=Count("id")).order_by("-n").first())
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, number FROM incidents_incident TABLESAMPLE SYSTEM (1) ORDER BY random() LIMIT 500")
            sample = cursor.fetchall()
        total = Incident.objects.count()
    return {"group": busiest["assignment_group"], "group_in_progress": busiest["n"], "sample": sample, "total": total}


def create_payload(group_id: int) -> dict:
    return {"title": "Benchmark: VPN drops every hour", "description": "Created by `bench/run.py` under load.",
            "impact": 2, "urgency": 2, "assignment_group": group_id}


def count_queries(tenant, host: str, token: str, agent_email: str, targets: dict) -> dict:
    from bench import querycount

    api = querycount.api_client(host, token)
    out = {}
    querycount.count(api, "GET", LIST_PATH.format(group=targets["group"], size=10))  # warm-up: token last-used stamp
    for size in (10, 50, 100):
        out[f"list page_size={size}"] = querycount.count(api, "GET", LIST_PATH.format(group=targets["group"], size=size))
    for _, number in targets["sample"][:2]:
        out[f"detail {number}"] = querycount.count(api, "GET", DETAIL_PATH.format(number=number))
    out["create"] = querycount.post_json(api, CREATE_PATH, create_payload(targets["group"]))
    desk = querycount.session_client(host, tenant, agent_email)
    out["queue page"] = querycount.count(desk, "GET", QUEUE_PATH)
    return out


def redis_queue_length() -> int | None:
    try:
        import redis
        from django.conf import settings

        return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")
    except Exception:  # the figure is informative only
        return None


def drop_enqueued(count: int) -> None:
    """Remove the ``count`` newest messages (ours: kombu LPUSHes, workers pop from the other end)."""
    import redis
    from django.conf import settings

    if count > 0:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).ltrim("celery", count, -1)


def _client_for(name: str, clients: dict):
    return clients["desk" if name == "queue" else "api"]


def measure_sequential(args, clients: dict, requests: dict) -> dict:
    seq = {}
    for name, (method, paths, payload) in requests.items():
        count = min(args.requests, 100) if name == "queue" else args.requests
        seq[name] = latency.measure(_client_for(name, clients), method, paths, count,
                                    body=payload.encode() if payload else None,
                                    headers={"Content-Type": "application/json"} if payload else None,
                                    warmup=0 if method == "POST" else 10)
    return seq


def measure_throughput(args, host: str, port: int, master: int, clients: dict, requests: dict, seq: dict, loads: dict):
    """One wrk run per endpoint that answered 2xx, with the server's CPU use sampled alongside."""
    load, raw, cpu_use = {}, {}, {}
    for name, (method, paths, payload) in requests.items():
        if not any(200 <= status < 300 for status in seq[name].statuses):
            continue  # the endpoint does not answer (yet)
        print(f"wrk {name}: {args.connections} connections, {args.seconds} s ...", flush=True)
        client = _client_for(name, clients)
        headers = {**client.headers, **({"Cookie": client.cookie_header()} if client.cookies else {})}
        script = loadgen.lua_script(host=host, headers=headers, method=method, paths=paths, body=payload)
        loads[f"before wrk {name}"] = os.getloadavg()
        with cpu.Sampler(master) as sampler:
            load[name], raw[name] = loadgen.run(port=port, script=script, connections=args.connections,
                                                threads=args.threads, seconds=args.seconds)
        cpu_use[name] = sampler.use
    return load, raw, cpu_use


def main() -> int:
    args = parse_args()
    RESULTS.mkdir(exist_ok=True)
    agent_email = args.agent or f"agent@{args.tenant}.example"
    host = f"{args.tenant}.localhost"

    print(f"Seeding {args.tenant} up to {args.incidents} incidents ...", flush=True)
    seeding = seed(args)
    server.manage("collectstatic", "--noinput")  # as a deployment would; the desk page links these files
    setup_django(args.what_if)
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=args.tenant)
    targets = pick_targets(tenant)
    token = server.manage("api_token", args.tenant, agent_email, "--name", "bench/run.py").strip().splitlines()[-1]
    print(f"Tenant holds {targets['total']} incidents; list group {targets['group']} has "
          f"{targets['group_in_progress']} in progress.", flush=True)

    queue_before = redis_queue_length()
    queries = count_queries(tenant, host, token, agent_email, targets)
    auth = {"Authorization": f"Token {token}"}
    body = json.dumps(create_payload(targets["group"]))
    requests = {  # name -> (method, paths, body)
        "list": ("GET", [LIST_PATH.format(group=targets["group"], size=50)], None),
        "detail": ("GET", [DETAIL_PATH.format(number=number) for _, number in targets["sample"]], None),
        "queue": ("GET", [QUEUE_PATH], None),
        "create": ("POST", [CREATE_PATH], body),
    }
    loads = {"start": os.getloadavg()}
    with server.gunicorn(host=host, workers=args.workers, log_path=RESULTS / "gunicorn.log",
                         experiments=args.what_if) as (port, master):
        clients = {"api": latency.Client(port, host, auth), "desk": latency.Client(port, host)}
        print("Sequential requests ...", flush=True)
        try:
            clients["desk"].login(agent_email, args.password)
        except RuntimeError as exc:
            print(f"  queue page skipped: {exc}", flush=True)
            del requests["queue"]
        seq = measure_sequential(args, clients, requests)
        load, raw, cpu_use = {}, {}, {}
        if not args.no_wrk and loadgen.available():
            load, raw, cpu_use = measure_throughput(args, host, port, master, clients, requests, seq, loads)
    loads["end"] = os.getloadavg()
    server_errors = (RESULTS / "gunicorn.log").read_text().count("Traceback")
    if server_errors:
        print(f"gunicorn logged {server_errors} tracebacks: see {RESULTS / 'gunicorn.log'}", flush=True)
    queue_after = redis_queue_length()
    if not args.keep_queue and queue_before is not None and queue_after is not None:
        drop_enqueued(queue_after - queue_before)

    rows = build_rows(args, seeding, seq, load, queries, cpu_use)
    text = render(args, seeding, targets, seq, load, raw, queries, rows, queue_before, queue_after, loads)
    output = RESULTS / (f"what-if-{'+'.join(args.what_if)}.md" if args.what_if else "latest.md")
    output.write_text(text)
    print()
    print(report.table(rows))
    print(f"\nDetails: {output}")
    return 0


def _status_note(timings) -> str:
    bad = {s: n for s, n in timings.statuses.items() if not 200 <= s < 400}
    return f" (HTTP {', '.join(f'{s}×{n}' for s, n in sorted(bad.items()))})" if bad else ""


def _all_ok(timings) -> bool:
    return all(200 <= s < 400 for s in timings.statuses)


def build_rows(args, seeding, seq, load, queries, cpu_use) -> list:
    R = report.Row
    rows = []
    if seeding.get("seconds") is not None:
        when = "this run" if seeding.get("this_run") else f"measured {seeding.get('measured_at')}"
        rows.append(R(f"Seeding {seeding['inserted']:,} incidents ({when})", "<= 120 s", f"{seeding['seconds']:.1f} s",
                      seeding["seconds"] <= 120 and seeding["inserted"] >= 0.99 * args.incidents))
    else:
        rows.append(R("Seeding", "<= 120 s", "not measured (tenant was already seeded)"))

    def latency_rows(name, label, p95_target=None):
        t = seq.get(name)
        if t is None:
            rows.append(R(label, "", "not measured"))
            return
        ok = None if p95_target is None else (t.p95 <= p95_target and _all_ok(t))
        rows.append(R(f"{label} p50 / p95 (sequential, {len(t.samples)} req)",
                      f"p95 <= {p95_target} ms" if p95_target else "—",
                      f"{report.ms(t.p50)} / {report.ms(t.p95)}{_status_note(t)}", ok))

    latency_rows("list", "List API `state=in_progress&assignment_group&page_size=50`", 40)
    latency_rows("detail", "Detail API")
    latency_rows("create", "Create API")
    if "create" in seq:
        t = seq["create"]
        rows.append(R("Create API, one client back to back", "—", f"{t.rate:.0f} req/s{_status_note(t)}"))
    latency_rows("queue", "Agent queue page `/desk/incidents/` (loopback wall time)", 100)

    for name, label, target in (("list", "List", 300), ("detail", "Detail", 250), ("create", "Create", 200),
                                ("queue", "Queue page", None)):
        result = load.get(name)
        if result is None and target is None:
            continue
        if result is None:
            rows.append(R(f"{label} throughput, {args.connections} clients", f">= {target} req/s", "not measured"))
            continue
        errors = result.non_2xx + result.socket_errors
        note = f", {errors} errors" if errors else ""
        rows.append(R(f"{label} throughput, {args.connections} clients (wrk {result.seconds:.0f} s)",
                      f">= {target} req/s" if target else "—",
                      f"{result.ok_rate:.0f} req/s (p95 {report.ms(result.p95_ms)}{note})",
                      (result.ok_rate >= target and errors == 0) if target else None))
        if name in cpu_use and result.requests:
            app_ms, db_ms = cpu_use[name].per_request_ms(result.requests)
            cores = os.cpu_count() or 1
            rows.append(R(f"{label}: server CPU per request (gunicorn + PostgreSQL) → ceiling on {cores} dedicated cores",
                          "—", f"{app_ms:.1f} + {db_ms:.1f} ms → {1000 * cores / (app_ms + db_ms):.0f} req/s"))

    lists = [c for k, c in queries.items() if k.startswith("list")]
    statuses = {c.status for c in lists}
    rows.append(R("SQL queries per list request (page_size 10 / 50 / 100)", "<= 10, constant",
                  " / ".join(str(c.queries) for c in lists) + (f" (HTTP {sorted(statuses)})" if statuses != {200} else ""),
                  len({c.queries for c in lists}) == 1 and lists[0].queries <= 10 and statuses == {200}))
    details = [c for k, c in queries.items() if k.startswith("detail")]
    statuses = {c.status for c in details}
    rows.append(R("SQL queries per detail request", "<= 15", " / ".join(str(c.queries) for c in details)
                  + (f" (HTTP {sorted(statuses)})" if statuses != {200} else ""),
                  all(c.queries <= 15 and c.status == 200 for c in details)))
    for key, label in (("create", "SQL queries per create request"), ("queue page", "SQL queries per queue page")):
        c = queries[key]
        rows.append(R(label, "—", f"{c.queries}" + ("" if c.status in (200, 201) else f" (HTTP {c.status})")))
    return rows


def render(args, seeding, targets, seq, load, raw, queries, rows, queue_before, queue_after, loads) -> str:
    machine = report.machine()
    title = f"what if: {', '.join(args.what_if)} (bench/whatif.py)" if args.what_if else "results"
    out = [f"# Benchmark {title} ({_now()})", "",
           f"Tenant `{args.tenant}` holding {targets['total']:,} incidents before the create runs; "
           f"gunicorn {args.workers} sync workers on loopback; wrk {args.connections} connections / {args.threads} threads.",
           "", "Machine: " + ", ".join(f"{k}: {v}" for k, v in machine.items()), "",
           "Load average (1/5/15 min) — the machine may be shared: "
           + "; ".join(f"{k} {' '.join(f'{x:.2f}' for x in v)}" for k, v in loads.items()), "",
           report.table(rows), ""]
    if seeding.get("phases"):
        out += ["## Seeding phases", ""] + [f"- {name}: {sec} s" for name, sec in seeding["phases"]] + [""]
    out += ["## Sequential requests (client wall time over loopback, new connection per request)", "",
            "| Endpoint | n | p50 | p95 | max | statuses |", "| --- | --- | --- | --- | --- | --- |"]
    for name, t in seq.items():
        out.append(f"| {name} | {len(t.samples)} | {report.ms(t.p50)} | {report.ms(t.p95)} | "
                   f"{report.ms(max(t.samples))} | {t.statuses} |")
    out += ["", "## Throughput (wrk)", ""]
    for name, result in load.items():
        out += [f"### {name}", "", "```", raw[name].strip(), "```", ""]
    out += ["## SQL queries per request (in-process Django test Client, CaptureQueriesContext)", "",
            "Queries exclude the `SET search_path` django-tenants sends before each one; the total counts those too.", "",
            "| Request | queries | statements incl. SET search_path | HTTP |", "| --- | --- | --- | --- |"]
    out += [f"| {k} | {c.queries} | {c.total} | {c.status} |" for k, c in queries.items()]
    out += ["", f"Notification messages in the Redis queue `celery`: {queue_before} before, {queue_after} after the runs"
            + ("" if args.keep_queue else " (the run's own messages then removed)."), ""]
    out += ["<details><summary>SQL of one list request and the queue page</summary>", "", "```sql"]
    out += queries["list page_size=50"].sql + [""] + queries["queue page"].sql + ["```", "</details>", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
