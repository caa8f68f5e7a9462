"""Benchmark every registered ticket type against a tenant holding 1,000,000 incidents and 100,000 problems.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/run.py [--types incidents,problems] [--record]

Tops the tenant up (``manage.py seed_demo --incidents N --problems M``), starts gunicorn
(2 sync workers, production settings, notifications enqueued to Redis), then runs the same
scenarios for each type: list, detail, create and the desk queue, measuring sequential
latency, SQL queries per request, throughput from 8 concurrent wrk clients and the server's
CPU per request. Prints a table per type and the figures, compares them with the figures last
committed in bench/README.md (a ``REGRESSION`` line per figure that got worse), and writes it
all, with the details, to bench/results/latest.md. ``--record`` writes this run's figures into
bench/README.md for a human to commit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Run as a script: import the project, not sibling modules shadowing the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

from bench import cpu, figures, latency, loadgen, report, server, whatif  # noqa: E402

RESULTS = BENCH_DIR / "results"
README = BENCH_DIR / "README.md"
# Types demo/seeding.py can bulk-load: the seed_demo option and the default size (tops up to it).
SEEDED = {"incidents": 1_000_000, "problems": 100_000}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--types", default="", help="Comma-separated type slugs (default: every registered type).")
    for slug, default in SEEDED.items():
        parser.add_argument(f"--{slug}", type=int, default=default, help=f"Top the tenant up to this many {slug} first.")
    parser.add_argument("--agent", default=None, help="Agent email (default agent@<tenant>.example).")
    parser.add_argument("--password", default="demo", help="The agent's password, for the queue page login.")
    parser.add_argument("--requests", type=int, default=300, help="Sequential requests per endpoint.")
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per endpoint.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--no-wrk", action="store_true", help="Skip the throughput runs.")
    parser.add_argument("--record", action="store_true",
                        help="Write this run's figures into bench/README.md (between the bench:figures markers).")
    parser.add_argument("--what-if", action="append", default=[], choices=sorted(whatif.EXPERIMENTS),
                        help="Measure a proposed change (bench/whatif.py); repeatable. Writes what-if-<names>.md.")
    parser.add_argument("--keep-queue", action="store_true",
                        help="Leave the notification messages the run enqueued in Redis (default: remove them).")
    args = parser.parse_args(argv)
    args.type_slugs = [slug.strip() for slug in args.types.split(",") if slug.strip()]
    if args.record and args.what_if:
        parser.error("--record records the code as it is; it does not go with --what-if")
    return args


def seed(args, slugs: list[str]) -> dict:
    """Top the tenant up; per type, what was inserted (or the last measured seeding, when nothing was)."""
    counts = [(slug, getattr(args, slug)) for slug in slugs if slug in SEEDED]
    if not counts:
        return {}
    options = [part for slug, n in counts for part in (f"--{slug}", str(n))]
    started = time.perf_counter()
    output = server.manage("seed_demo", "--tenant", args.tenant, *options)
    wall = time.perf_counter() - started
    out = {}
    for slug, n in counts:
        match = re.search(rf"inserted (\d+) {slug} in ([\d.]+) s", output)
        phases = re.search(rf"^tenant \S+: holds \d+ {slug}, inserting.*?$(.*?)^tenant \S+: inserted", output, re.M | re.S)
        saved = RESULTS / f"seeding-{args.tenant}-{slug}.json"
        older = [saved] + ([RESULTS / f"seeding-{args.tenant}.json"] if slug == "incidents" else [])
        if match and int(match.group(1)) >= 0.9 * n:
            result = {"inserted": int(match.group(1)), "seconds": float(match.group(2)), "command_seconds": round(wall, 1),
                      "phases": re.findall(r"^\s+(.+): ([\d.]+) s$", phases.group(1) if phases else "", re.M),
                      "measured_at": _now()}
            saved.write_text(json.dumps(result, indent=2))
            out[slug] = result | {"this_run": True}
        elif (found := next((path for path in older if path.exists()), None)) is not None:
            out[slug] = json.loads(found.read_text()) | {"this_run": False}
        else:
            out[slug] = {"this_run": False, "inserted": int(match.group(1)) if match else 0, "seconds": None}
    return out


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def setup_django(experiments):
    os.environ.update(server.SERVER_ENV)
    import django

    django.setup()
    whatif.apply(experiments)


def count_queries(tenant, host: str, token: str, agent_email: str, bench) -> dict:
    from bench import querycount

    api = querycount.api_client(host, token)
    out = {}
    querycount.count(api, "GET", bench.list_path(10))  # warm-up: token last-used stamp
    for size in (10, 50, 100):
        out[f"list page_size={size}"] = querycount.count(api, "GET", bench.list_path(size))
    for path in bench.detail_paths()[:2]:
        out[f"detail {path.rstrip('/').rsplit('/', 1)[-1]}"] = querycount.count(api, "GET", path)
    # Create and queue page are counted warm too (a first create fills per-tenant caches), as wrk sees them.
    querycount.post_json(api, bench.api_path, bench.create_payload())
    out["create"] = querycount.post_json(api, bench.api_path, bench.create_payload())
    desk = querycount.session_client(host, tenant, agent_email)
    querycount.count(desk, "GET", bench.queue_path)
    out["queue page"] = querycount.count(desk, "GET", bench.queue_path)
    return out


def analyze() -> None:
    """Fresh planner statistics before the throughput runs, as autovacuum would give them.

    The sequential creates give the tenant its first thousands of SLA clocks. Until ``sla_clock``
    is analyzed, PostgreSQL plans the queue's clock lookup for an empty table and scans all of a
    type's clocks (2.3 ms instead of 0.1 per page, worse as a prepared generic plan). This
    project's machines run PostgreSQL with autovacuum off (/etc/postgresql/15/main/conf.d/90-ci.conf),
    so nothing else would analyze it; in production autovacuum does, a little later.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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


class Notifications:
    """Messages the creates of each type left in the Redis queue, against how many creates succeeded."""

    def __init__(self):
        self.messages, self.creates = {}, {}

    @contextmanager
    def counting(self, slug: str):
        """Around a run of creates; the caller sets ``window["creates"]`` to how many succeeded."""
        window = {"creates": 0}
        before = redis_queue_length()
        yield window
        after = redis_queue_length()
        if before is not None and after is not None:
            self.messages[slug] = self.messages.get(slug, 0) + after - before
        self.creates[slug] = self.creates.get(slug, 0) + window["creates"]


def requests_of(bench) -> dict:
    """name -> (method, paths, JSON body), in the order they run."""
    return {
        "list": ("GET", [bench.list_path(50)], None),
        "detail": ("GET", bench.detail_paths(), None),
        "queue": ("GET", [bench.queue_path], None),
        "create": ("POST", [bench.api_path], json.dumps(bench.create_payload())),
    }


def _client_for(name: str, clients: dict):
    return clients["desk" if name == "queue" else "api"]


def measure_sequential(args, clients: dict, requests: dict, slug: str, notifications: Notifications) -> dict:
    seq = {}
    for name, (method, paths, payload) in requests.items():
        count = min(args.requests, 100) if name == "queue" else args.requests
        with notifications.counting(slug) if name == "create" else nullcontext({}) as window:
            seq[name] = latency.measure(_client_for(name, clients), method, paths, count,
                                        body=payload.encode() if payload else None,
                                        headers={"Content-Type": "application/json"} if payload else None,
                                        warmup=4 if method == "POST" else 10)  # a first create per worker fills caches
            window["creates"] = seq[name].statuses.get(201, 0)
    return seq


def measure_throughput(args, host: str, port: int, master: int, clients: dict, requests: dict, seq: dict,
                       loads: dict, slug: str, notifications: Notifications):
    """One wrk run per endpoint that answered 2xx, with the server's CPU use sampled alongside."""
    load, raw, cpu_use = {}, {}, {}
    for name, (method, paths, payload) in requests.items():
        if not any(200 <= status < 300 for status in seq[name].statuses):
            continue  # the endpoint does not answer (yet)
        print(f"wrk {slug} {name}: {args.connections} connections, {args.seconds} s ...", flush=True)
        client = _client_for(name, clients)
        headers = {**client.headers, **({"Cookie": client.cookie_header()} if client.cookies else {})}
        script = loadgen.lua_script(host=host, headers=headers, method=method, paths=paths, body=payload)
        loads[f"before wrk {slug} {name}"] = os.getloadavg()
        with notifications.counting(slug) if name == "create" else nullcontext({}) as window:
            with cpu.Sampler(master) as sampler:
                load[name], raw[name] = loadgen.run(port=port, script=script, connections=args.connections,
                                                    threads=args.threads, seconds=args.seconds)
            window["creates"] = load[name].requests - load[name].non_2xx - load[name].socket_errors
        cpu_use[name] = sampler.use
    return load, raw, cpu_use


def main(argv=None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    agent_email = args.agent or f"agent@{args.tenant}.example"
    host = f"{args.tenant}.localhost"

    setup_django(args.what_if)
    from bench import scenarios
    from tenants.models import Tenant

    benches = scenarios.discover(args.type_slugs or None)
    slugs = [b.slug for b in benches]
    print(f"Seeding {args.tenant}: " + ", ".join(f"{getattr(args, s):,} {s}" for s in slugs if s in SEEDED) + " ...",
          flush=True)
    seeding = seed(args, slugs)
    server.manage("collectstatic", "--noinput")  # as a deployment would; the desk page links these files
    tenant = Tenant.objects.get(slug=args.tenant)
    for bench in benches:
        scenarios.pick_rows(bench, tenant)
        print(f"{bench.slug}: {bench.total:,} in the tenant; list: state={bench.open_state}, group {bench.group} "
              f"({bench.group_count:,} rows); {len(bench.sample)} sampled for detail.", flush=True)
    token = server.manage("api_token", args.tenant, agent_email, "--name", "bench/run.py").strip().splitlines()[-1]

    queue_before = redis_queue_length()
    queries = {b.slug: count_queries(tenant, host, token, agent_email, b) for b in benches}
    auth = {"Authorization": f"Token {token}"}
    requests = {b.slug: requests_of(b) for b in benches}
    loads = {"start": os.getloadavg()}
    notifications = Notifications()
    seq, load, raw, cpu_use = {}, {}, {}, {}
    with server.gunicorn(host=host, workers=args.workers, log_path=RESULTS / "gunicorn.log",
                         experiments=args.what_if) as (port, master):
        clients = {"api": latency.Client(port, host, auth), "desk": latency.Client(port, host)}
        try:
            clients["desk"].login(agent_email, args.password)
        except RuntimeError as exc:
            print(f"  queue pages skipped: {exc}", flush=True)
            for r in requests.values():
                del r["queue"]
        for bench in benches:
            print(f"Sequential requests, {bench.slug} ...", flush=True)
            loads[f"before sequential {bench.slug}"] = os.getloadavg()
            seq[bench.slug] = measure_sequential(args, clients, requests[bench.slug], bench.slug, notifications)
        analyze()
        for bench in benches:
            load[bench.slug], raw[bench.slug], cpu_use[bench.slug] = {}, {}, {}
            if not args.no_wrk and loadgen.available():
                load[bench.slug], raw[bench.slug], cpu_use[bench.slug] = measure_throughput(
                    args, host, port, master, clients, requests[bench.slug], seq[bench.slug], loads, bench.slug,
                    notifications)
        worker_rss = cpu.workers_rss_mb(master)
    loads["end"] = os.getloadavg()
    server_errors = (RESULTS / "gunicorn.log").read_text().count("Traceback")
    if server_errors:
        print(f"gunicorn logged {server_errors} tracebacks: see {RESULTS / 'gunicorn.log'}", flush=True)
    queue_after = redis_queue_length()
    if not args.keep_queue and queue_before is not None and queue_after is not None:
        drop_enqueued(queue_after - queue_before)

    rows = {b.slug: build_rows(args, seeding.get(b.slug), seq[b.slug], load[b.slug], queries[b.slug],
                               cpu_use[b.slug], bench=b) for b in benches}
    measured = [f for b in benches for f in figures_of(b.slug, seq[b.slug], load[b.slug], queries[b.slug],
                                                       cpu_use[b.slug], loads)]
    comparison = compare(measured)
    http_errors = _http_errors(seq, load, queries)
    text = render(args, benches, seeding, seq, load, raw, queries, rows, measured, comparison, http_errors,
                  notifications, queue_before, queue_after, loads)
    rss_line = rss_text(worker_rss)
    text += f"\n{rss_line}\n"
    output = RESULTS / (f"what-if-{'+'.join(args.what_if)}.md" if args.what_if else "latest.md")
    output.write_text(text)
    print()
    for bench in benches:
        print(f"### {bench.plural} (`{bench.slug}`)\n\n{report.table(rows[bench.slug])}\n")
    print(figures.table(measured))
    print()
    print("\n".join(comparison))
    for line in http_errors:
        print(line)
    print(rss_line)
    if args.record:
        record(args, benches, measured, loads, rss_line)
    print(f"\nDetails: {output}")
    return 0


def _load1(loads: dict, key: str) -> float | None:
    value = loads.get(key)
    return round(value[0], 2) if value else None


def figures_of(slug, seq, load, queries, cpu_use, loads) -> list:
    """This run's figures of one type (what the README's block records and the comparison reads)."""
    out = []
    for scenario in figures.SCENARIOS:
        t, result = seq.get(scenario), load.get(scenario)
        figure = figures.Figure(type=slug, scenario=scenario,
                                load=_load1(loads, f"before wrk {slug} {scenario}") or _load1(loads, f"before sequential {slug}"))
        if t is not None and t.samples and _all_ok(t):
            figure.p50, figure.p95 = round(t.p50, 1), round(t.p95, 1)
        if result is not None and result.requests and result.non_2xx + result.socket_errors == 0:
            figure.rps = round(result.ok_rate, 1)
            if scenario in cpu_use:
                app_ms, db_ms = cpu_use[scenario].per_request_ms(result.requests)
                figure.app_cpu, figure.db_cpu = round(app_ms, 1), round(db_ms, 1)
        counted = {"list": [c for k, c in queries.items() if k == "list page_size=50"],
                   "detail": [c for k, c in queries.items() if k.startswith("detail")],
                   "create": [queries.get("create")], "queue": [queries.get("queue page")]}[scenario]
        counted = [c for c in counted if c is not None and 200 <= c.status < 300]
        if counted:
            figure.queries = max(c.queries for c in counted)
        out.append(figure)
    return out


def compare(measured: list) -> list[str]:
    """REGRESSION lines against the last committed figures, or the line saying there are none."""
    found = figures.baseline(ROOT, README)
    if found is None:
        return [f"no recorded figures in {README.relative_to(ROOT)} to compare with (record some with --record)"]
    source, note, recorded = found
    lines, compared = figures.regressions(recorded, measured)
    recorded_keys = {f.key for f in recorded}
    new = [f"{f.type} {f.scenario}" for f in measured if f.key not in recorded_keys]
    when = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", note)
    against = f"{source}" + (f" (recorded {when.group(0)})" if when else "")
    if not lines:
        lines = [f"no regression against {against}: {compared} figures compared ({figures.thresholds()})"]
    else:
        lines.append(f"{len(lines)} regression(s) against {against} out of {compared} figures compared "
                     f"({figures.thresholds()})")
    if new:
        lines.append(f"not recorded yet, so not compared: {', '.join(new)}")
    return lines


RSS_TARGET_MB = 150


def rss_text(worker_rss: list[float]) -> str:
    if not worker_rss:
        return "Web worker RSS after the benchmark: not measured (no worker found)."
    sizes = " / ".join(f"{mb:.0f}" for mb in worker_rss)
    verdict = "met" if max(worker_rss) <= RSS_TARGET_MB else "missed"
    return f"Web worker RSS after the benchmark: {sizes} MB (target <= {RSS_TARGET_MB} MB: {verdict})."


def record(args, benches, measured, loads, rss_line: str = "") -> None:
    text = README.read_text()
    previous = figures.parse(text)
    if previous is None:
        print(f"--record: no {figures.START} block in {README}; add the two markers where the figures belong.")
        return
    slugs = [b.slug for b in benches]
    kept = sorted({f.type for f in previous[1]} - set(slugs))
    totals = ", ".join(f"{b.total:,} {b.slug}" for b in benches)
    note = (f"Recorded {_now()} by `bench/run.py --record` on `{figures.describe(ROOT)}`: tenant `{args.tenant}` "
            f"({totals}), {args.requests} sequential requests, wrk {args.connections} connections x {args.seconds} s, "
            f"gunicorn {args.workers} workers; load average (1 min) {loads['start'][0]:.2f} at the start, "
            f"{loads['end'][0]:.2f} at the end.")
    if rss_line:
        note += f" {rss_line}"
    if kept:
        note += f" Rows of {', '.join(kept)} kept from the previous record."
    order = slugs + [t for t in dict.fromkeys(f.type for f in previous[1]) if t not in slugs]
    merged = figures.merge(previous[1], measured, order)
    README.write_text(figures.replace_block(text, figures.block(merged, note)))
    print(f"\nRecorded {len(measured)} figures in {README.relative_to(ROOT)}; review and commit it.")


def _status_note(timings) -> str:
    bad = {s: n for s, n in timings.statuses.items() if not 200 <= s < 400}
    return f" (HTTP {', '.join(f'{s}×{n}' for s, n in sorted(bad.items()))})" if bad else ""


def _all_ok(timings) -> bool:
    return all(200 <= s < 400 for s in timings.statuses)


def _http_errors(seq, load, queries) -> list[str]:
    """One line per scenario that got an HTTP error from the product (its figures are then left out)."""
    lines = []
    for slug in seq:
        for name, t in seq[slug].items():
            if not _all_ok(t):
                lines.append(f"HTTP ERROR {slug} {name} (sequential):{_status_note(t)}")
        for name, result in load.get(slug, {}).items():
            if result.non_2xx or result.socket_errors:
                lines.append(f"HTTP ERROR {slug} {name} (wrk): {result.non_2xx} non-2xx, {result.socket_errors} socket errors")
        for name, counted in queries.get(slug, {}).items():
            if not 200 <= counted.status < 300:
                lines.append(f"HTTP ERROR {slug} {name} (in-process query count): HTTP {counted.status}")
    return lines


def build_rows(args, seeding, seq, load, queries, cpu_use, bench=None) -> list:
    """One type's results table (incidents' paths when ``bench`` is None), targets from issue 9."""
    R = report.Row
    rows = []
    plural = bench.slug if bench is not None else "incidents"
    open_state = bench.open_state if bench is not None else "in_progress"
    queue_path = bench.queue_path if bench is not None else "/desk/incidents/"
    wanted = getattr(args, plural, None)
    if seeding and seeding.get("seconds") is not None:
        when = "this run" if seeding.get("this_run") else f"measured {seeding.get('measured_at')}"
        rows.append(R(f"Seeding {seeding['inserted']:,} {plural} ({when})", "<= 120 s", f"{seeding['seconds']:.1f} s",
                      seeding["seconds"] <= 120 and (wanted is None or seeding["inserted"] >= 0.99 * wanted)))
    elif seeding is not None:
        rows.append(R(f"Seeding {plural}", "<= 120 s", "not measured (tenant was already seeded)"))

    def latency_rows(name, label, p95_target=None):
        t = seq.get(name)
        if t is None:
            rows.append(R(label, "", "not measured"))
            return
        ok = None if p95_target is None else (t.p95 <= p95_target and _all_ok(t))
        rows.append(R(f"{label} p50 / p95 (sequential, {len(t.samples)} req)",
                      f"p95 <= {p95_target} ms" if p95_target else "—",
                      f"{report.ms(t.p50)} / {report.ms(t.p95)}{_status_note(t)}", ok))

    list_target, queue_target = figures.TARGETS["list"], figures.TARGETS["queue"]
    latency_rows("list", f"List API `state={open_state}&assignment_group&page_size=50`", list_target.get("p95"))
    latency_rows("detail", "Detail API")
    latency_rows("create", "Create API")
    if "create" in seq:
        t = seq["create"]
        rows.append(R("Create API, one client back to back", "—", f"{t.rate:.0f} req/s{_status_note(t)}"))
    latency_rows("queue", f"Agent queue page `{queue_path}` (loopback wall time)", queue_target.get("p95"))

    for name, label in (("list", "List"), ("detail", "Detail"), ("create", "Create"), ("queue", "Queue page")):
        target = figures.TARGETS[name].get("rps")
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

    budget = {name: figures.TARGETS[name].get("queries") for name in figures.SCENARIOS}
    lists = [c for k, c in queries.items() if k.startswith("list")]
    statuses = {c.status for c in lists}
    rows.append(R("SQL queries per list request (page_size 10 / 50 / 100)", f"<= {budget['list']}, constant",
                  " / ".join(str(c.queries) for c in lists) + (f" (HTTP {sorted(statuses)})" if statuses != {200} else ""),
                  len({c.queries for c in lists}) == 1 and lists[0].queries <= budget["list"] and statuses == {200}))
    details = [c for k, c in queries.items() if k.startswith("detail")]
    statuses = {c.status for c in details}
    rows.append(R("SQL queries per detail request", f"<= {budget['detail']}", " / ".join(str(c.queries) for c in details)
                  + (f" (HTTP {sorted(statuses)})" if statuses != {200} else ""),
                  all(c.queries <= budget["detail"] and c.status == 200 for c in details)))
    c = queries["create"]
    rows.append(R("SQL queries per create request", f"<= {budget['create']}",
                  f"{c.queries}" + ("" if c.status == 201 else f" (HTTP {c.status})"),
                  c.queries <= budget["create"] and c.status == 201))
    c = queries["queue page"]
    rows.append(R("SQL queries per queue page", "—", f"{c.queries}" + ("" if c.status == 200 else f" (HTTP {c.status})")))
    return rows


def render(args, benches, seeding, seq, load, raw, queries, rows, measured, comparison, http_errors,
           notifications, queue_before, queue_after, loads) -> str:
    machine = report.machine()
    title = f"what if: {', '.join(args.what_if)} (bench/whatif.py)" if args.what_if else "results"
    holds = ", ".join(f"{b.total:,} {b.slug}" for b in benches)
    out = [f"# Benchmark {title} ({_now()})", "",
           f"Tenant `{args.tenant}` holding {holds} before the create runs; code `{figures.describe(ROOT)}`; "
           f"gunicorn {args.workers} sync workers on loopback; wrk {args.connections} connections / {args.threads} threads.",
           "", "Machine: " + ", ".join(f"{k}: {v}" for k, v in machine.items()), "",
           "Load average (1/5/15 min) — the machine may be shared: "
           + "; ".join(f"{k} {' '.join(f'{x:.2f}' for x in v)}" for k, v in loads.items()), "",
           "## Figures", "", figures.table(measured), "", "```", *comparison, *http_errors, "```", ""]
    for bench in benches:
        out += [f"## {bench.plural} (`{bench.slug}`)", "",
                f"List: `{bench.list_path(50)}` ({bench.group_count:,} rows in that group and state); detail: "
                f"{len(bench.sample)} numbers sampled across {bench.total:,}; create: `POST {bench.api_path}` "
                f"`{json.dumps(bench.create_payload())}`; queue: `{bench.queue_path}`.", "",
                report.table(rows[bench.slug]), ""]
        if (seeding.get(bench.slug) or {}).get("phases"):
            out += ["Seeding phases:", ""] + [f"- {name}: {sec} s" for name, sec in seeding[bench.slug]["phases"]] + [""]
    out += ["## Sequential requests (client wall time over loopback, new connection per request)", "",
            "| Type | Endpoint | n | p50 | p95 | max | statuses |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for slug, by_name in seq.items():
        for name, t in by_name.items():
            out.append(f"| {slug} | {name} | {len(t.samples)} | {report.ms(t.p50)} | {report.ms(t.p95)} | "
                       f"{report.ms(max(t.samples))} | {t.statuses} |")
    out += ["", "## Throughput (wrk)", ""]
    for slug, by_name in load.items():
        for name in by_name:
            out += [f"### {slug} {name}", "", "```", raw[slug][name].strip(), "```", ""]
    out += ["## SQL queries per request (in-process Django test Client, CaptureQueriesContext)", "",
            "Queries exclude the `SET search_path` django-tenants sends before each one; the total counts those too.", "",
            "| Type | Request | queries | statements incl. SET search_path | HTTP |", "| --- | --- | --- | --- | --- |"]
    out += [f"| {slug} | {k} | {c.queries} | {c.total} | {c.status} |" for slug, by_key in queries.items()
            for k, c in by_key.items()]
    out += ["", f"Notification messages in the Redis queue `celery`: {queue_before} before, {queue_after} after the runs"
            + ("" if args.keep_queue else " (the run's own messages then removed).")]
    for slug, messages in notifications.messages.items():
        out.append(f"- {slug}: {messages:,} messages enqueued while {notifications.creates.get(slug, 0):,} creates succeeded")
    out.append("")
    for slug, by_key in queries.items():
        out += [f"<details><summary>SQL of one {slug} list request and the queue page</summary>", "", "```sql"]
        out += by_key["list page_size=50"].sql + [""] + by_key["queue page"].sql + ["```", "</details>", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
