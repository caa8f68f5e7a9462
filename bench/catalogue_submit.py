"""Benchmark ordering a catalogue item through the API: 12 variables and a 3-stage approval chain (issue 10).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/catalogue_submit.py [--seconds 15] [--requests 200]

Seeds (or reuses) tenant ``catbench``: its people from ``bench/approvals.py``'s ``ensure_tenant``
(demo bulk seeding: groups, bench agents, requesters), every requester given a bench agent as
manager, a group "Bench approvers", and built as its tenant admin through the configuration
services (``service_requests.configuration``, ``approvals.definitions.save_chain``): one item
with 12 variables of every JSON type (text, textarea, number, date, choice, multi-choice,
checkbox, user; required ones, regex / min / max / length rules, two show-when conditions) and
a chain of 3 stages (the requester's manager; the group, any one; a rule stage on the total).
An agent with an API token orders it for the requesters (``requested_for``), each order a valid
body from ``order_bodies``, varied (with and without the conditional variables).

Measured with gunicorn as ``bench/server.py`` starts it (2 sync workers, production settings,
Celery not eager: notifications only enqueued to Redis, and removed again at the end, with the
tenant's approval mail outbox rows, which the approvals tick would otherwise re-send):

1. SQL statements per order, in-process (Django test Client, ``CaptureQueriesContext``), warm;
2. sequential latency p50/p95 of ``POST /api/v1/catalog/items/<id>/order/`` (new connection each);
3. throughput with wrk (8 connections, 15 s, a random body per request, every status counted),
   with the server's CPU per request (gunicorn workers + their PostgreSQL backends, ``bench/cpu.py``);
4. afterwards: as many requested items created as 201s answered (wrk: plus at most one order per
   connection still in flight when wrk stopped at its deadline, finished by the server after wrk
   stopped reading), each awaiting approval with its approval pending and its first stage (the
   manager) pending, the two others waiting.

``--profile N``: also N orders in-process under cProfile (top functions by own time into the results).
``--layers N``: instead, only N orders in-process with their CPU charged by layer (``bench/layers.py``'s
ledger plus the form check, ticket creation, approval start and the on-commit Celery publish),
written to bench/results/catalogue-layers.md.
Prints a markdown table and writes it with details to bench/results/catalogue-latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

from bench import cpu, figures, latency, loadgen, report, server  # noqa: E402

RESULTS = BENCH_DIR / "results"
TENANT = "catbench"
ITEM, CATEGORY, CHAIN, GROUP = "Bench workstation", "Bench hardware", "Bench three stages", "Bench approvers"
PRICE = Decimal("1299.00")
RULE_TOTAL = 500  # the third stage applies to orders above this total (every bench order: 1,299)
TARGET_RPS = 100


def variable_specs() -> list[dict]:
    """The item's 12 variables, in form order (``configuration.save_variable`` fields)."""
    return [
        {"name": "hostname", "type": "text", "label": "Host name", "required": True, "regex": r"^[a-z][a-z0-9-]{2,30}$"},
        {"name": "justification", "type": "textarea", "label": "Why is it needed?", "required": True,
         "min_length": 10, "max_length": 2000},
        {"name": "memory_gb", "type": "number", "label": "Memory (GB)", "required": True, "min_value": "8",
         "max_value": "64"},
        {"name": "needed_by", "type": "date", "label": "Needed by", "required": True, "min_value": "2026-01-01",
         "max_value": "2030-12-31"},
        {"name": "model", "type": "choice", "label": "Model", "required": True,
         "choices": [["standard", "Standard 14-inch"], ["power", "Power 16-inch"]]},
        {"name": "accessories", "type": "multi_choice", "label": "Accessories",
         "choices": [["mouse", "Mouse"], ["keyboard", "Keyboard"], ["dock", "Dock"], ["headset", "Headset"]]},
        {"name": "needs_monitor", "type": "checkbox", "label": "Needs a monitor"},
        {"name": "monitor_size", "type": "number", "label": "Monitor size (inches)", "required": True,
         "min_value": "22", "max_value": "34", "show_when": [{"variable": "needs_monitor", "op": "eq", "value": True}]},
        {"name": "deliver_to", "type": "user", "label": "Hand it to", "required": True},
        {"name": "operating_system", "type": "choice", "label": "Operating system", "required": True,
         "choices": [["windows", "Windows"], ["linux", "Linux"], ["macos", "macOS"]]},
        {"name": "linux_distribution", "type": "text", "label": "Distribution", "required": True, "max_length": 40,
         "show_when": [{"variable": "operating_system", "op": "eq", "value": "linux"}]},
        {"name": "cost_code", "type": "text", "label": "Cost code", "regex": r"^CC-\d{4}$", "max_length": 7},
    ]


def chain_stages(group, rule_approver) -> list[dict]:
    """Manager, then the group (any one member), then a person when the total is above RULE_TOTAL."""
    return [
        {"order": 1, "name": "Line manager", "kind": "manager"},
        {"order": 2, "name": "Approvers", "kind": "group", "group": group, "group_mode": "any"},
        {"order": 3, "name": "Finance", "kind": "rule", "user": rule_approver,
         "rule_condition": {"fact": "total", "op": "gt", "value": RULE_TOTAL}},
    ]


def order_bodies(people: list[int], n: int = 64, *, today: date | None = None) -> list[dict]:
    """``n`` valid, varied order bodies for the item: requested for ``people`` (user ids) in turn.

    Every fourth sets ``needs_monitor`` (so ``monitor_size`` is shown and sent), every third chooses
    Linux (so ``linux_distribution`` is sent); hidden variables are never sent, as the API requires.
    """
    today = today or date.today()
    bodies = []
    for i in range(n):
        person = people[i % len(people)]
        values = {
            "hostname": f"ws-{i:04d}",
            "justification": f"Replacement for an old machine, order {i} of the benchmark.",
            "memory_gb": (8, 16, 32, 64)[i % 4],
            "needed_by": (today + timedelta(days=14 + i % 30)).isoformat(),
            "model": ("standard", "power")[i % 2],
            "accessories": [["mouse"], ["mouse", "keyboard"], [], ["dock", "headset"]][i % 4],
            "needs_monitor": i % 4 == 0,
            "deliver_to": people[(i + 1) % len(people)],
            "operating_system": ("windows", "macos", "linux")[i % 3],
        }
        if values["needs_monitor"]:
            values["monitor_size"] = (24, 27, 32)[i % 3]
        if values["operating_system"] == "linux":
            values["linux_distribution"] = "Debian"
        if i % 2:
            values["cost_code"] = f"CC-{1000 + i:04d}"
        bodies.append({"requested_for": person, "quantity": 1, "variables": values})
    return bodies


def build_catalogue(admin, *, group, rule_approver):
    """The chain, the category and the item with its 12 variables, through the admin's services (once)."""
    from approvals.definitions import save_chain
    from approvals.models import ApprovalChainDefinition
    from service_requests import configuration
    from service_requests.models import CatalogCategory, CatalogItem

    chain = ApprovalChainDefinition.objects.filter(name=CHAIN).first() or save_chain(
        by=admin, name=CHAIN, stages=chain_stages(group, rule_approver))
    category = CatalogCategory.objects.filter(name=CATEGORY).first() or configuration.save_category(
        by=admin, name=CATEGORY, icon="laptop")
    item = CatalogItem.objects.filter(name=ITEM, category=category).first() or configuration.save_item(
        by=admin, category=category, name=ITEM, icon="laptop", short_description="A workstation, configured",
        price=PRICE, approval_chain=chain)
    existing = set(item.variables.values_list("name", flat=True))
    for order, spec in enumerate(variable_specs(), start=1):
        if spec["name"] not in existing:
            configuration.save_variable(by=admin, item=item, order=order, **spec)
    return item


def seed_people(tenant, *, incidents: int = 200) -> dict:
    """Requesters with managers, the approvers' group, the admin and the ordering agent."""
    from django_tenants.utils import schema_context

    from accounts.models import AssignmentGroup, User
    from bench.approvals import ensure_tenant

    ensure_tenant(incidents, slug=tenant, name="Catalogue bench")
    from tenants.models import Tenant

    tenant_row = Tenant.objects.get(slug=tenant)
    with schema_context(tenant_row.schema_name):
        agents = list(User.objects.filter(role="agent", email__startswith="bench.agent").order_by("email"))
        requesters = list(User.objects.filter(role="requester", email__startswith="bench.requester").order_by("pk"))
        managers = agents[4:12]
        changed = []
        for index, person in enumerate(requesters):
            if person.manager_id is None:
                person.manager = managers[index % len(managers)]
                changed.append(person)
        User.objects.bulk_update(changed, ["manager"])
        group, _ = AssignmentGroup.objects.get_or_create(name=GROUP, defaults={"email": f"approvers@{tenant}.example"})
        group.members.add(*agents[12:15])
        admin = User.objects.get(email=f"admin@{tenant}.test")
        item = build_catalogue(admin, group=group, rule_approver=agents[15])
        return {"tenant": tenant_row, "agent": agents[0].email, "people": [p.pk for p in requesters], "item": item.pk}


def order_path(item_id: int) -> str:
    return f"/api/v1/catalog/items/{item_id}/order/"


def max_item_id(schema: str) -> int:
    from django_tenants.utils import schema_context

    from service_requests.models import RequestedItem

    with schema_context(schema):
        return RequestedItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def check_created(schema: str, after_id: int) -> dict:
    """Requested items made since ``after_id``: how many, and how many are awaiting their first stage."""
    from django.db.models import Count, Q
    from django_tenants.utils import schema_context

    from approvals.models import Approval
    from service_requests.models import RequestedItem

    with schema_context(schema):
        items = RequestedItem.objects.filter(pk__gt=after_id)
        ids = list(items.values_list("pk", flat=True))
        awaiting = items.filter(state="awaiting_approval").count()
        approvals = (Approval.objects.filter(ticket_type="service_requests.requesteditem", ticket_id__in=ids,
                                             state="pending")
                     .annotate(first=Count("stages", filter=Q(stages__order=1, stages__state="pending")),
                               waiting=Count("stages", filter=Q(stages__order__gt=1, stages__state="waiting")))
                     .filter(first=1, waiting=2).count())
    return {"items": len(ids), "awaiting approval": awaiting, "first stage pending, 2 waiting": approvals}


def drop_outbox(schema: str) -> int:
    """The bench tenant's approval mail outbox rows (``approvals_due.PendingMail``).

    Their Celery messages are removed from Redis with the run's others, so nothing would send the
    mail and delete the row: the approvals tick would re-send them all five minutes later, into
    whatever runs then (bench/approvals.py's idle ticks, for one).
    """
    from approvals.due.models import PendingMail

    return PendingMail.objects.filter(schema_name=schema).delete()[0]


def count_queries(host: str, token: str, path: str, bodies: list[dict]):
    from bench import querycount

    api = querycount.api_client(host, token)
    warm = querycount.post_json(api, path, bodies[0])  # warm-up: token stamp, per-tenant caches
    return warm.status, [querycount.post_json(api, path, body) for body in bodies[1:4]]


def profile_orders(host: str, token: str, path: str, bodies: list[dict], n: int) -> str:
    import cProfile
    import io
    import pstats

    from bench import querycount

    api = querycount.api_client(host, token)
    querycount.post_json(api, path, bodies[0])
    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.enable()
    statuses = {}
    for i in range(n):
        status = api.post(path, data=json.dumps(bodies[i % len(bodies)]), content_type="application/json").status_code
        statuses[status] = statuses.get(status, 0) + 1
    profiler.disable()
    cpu_ms = 1000 * (time.process_time() - started) / n
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)
    return (f"{n} orders in-process under cProfile (statuses {statuses}): {cpu_ms:.1f} ms CPU each (profiled)\n\n"
            + out.getvalue())


# Layers of bench/layers.py plus the order path's own parts (their Python; SQL inside stays SQL).
ORDER_LAYERS = {
    "form check": ("service_requests.services", None, "clean_line"),
    "ticket create": ("tickets.services", None, "create_ticket"),
    "approval start": ("approvals.services", None, "start_approval"),
    "on commit (Celery publish)": ("django.db.backends.base.base", "BaseDatabaseWrapper", "run_and_clear_commit_hooks"),
}


def layer_costs(host: str, token: str, path: str, bodies: list[dict], n: int) -> str:
    """CPU per order by layer, in-process (bench/layers.py's ledger, one database connection)."""
    import importlib

    from django.db import connection

    from bench import layers, querycount

    api = querycount.api_client(host, token)
    ledger = layers.Ledger()
    layers.instrument(ledger)
    for name, (module, cls, attribute) in ORDER_LAYERS.items():
        owner = importlib.import_module(module)
        ledger.wrap(getattr(owner, cls) if cls else owner, attribute, name)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def order(i):
        response = api.post(path, data=json.dumps(bodies[i % len(bodies)]), content_type="application/json")
        assert response.status_code == 201, (response.status_code, response.content[:300])

    result = layers.measure("order", order, n, ledger, backend)
    names = [*layers.LAYERS[:-1], *ORDER_LAYERS, "other"]
    shares = {name: 1000 * ledger.totals.get(name, 0.0) / n for name in names}
    head = ["app CPU ms/order", *names, "PostgreSQL CPU ms/order"]
    cells = [f"{result['cpu']:.1f}", *(f"{shares[name]:.1f}" for name in names), f"{result['db']:.1f}"]
    return "\n".join(["| " + " | ".join(head) + " |", "|" + " --- |" * len(head), "| " + " | ".join(cells) + " |",
                      "", f"{n} orders in-process after 10 warm-up, load average (1 min) {os.getloadavg()[0]:.2f} at the end."])


def sequential(client, path: str, bodies: list[str], count: int, warmup: int = 4) -> tuple[latency.Timings, int]:
    headers = {"Content-Type": "application/json"}
    for i in range(warmup):
        client.request("POST", path, body=bodies[i % len(bodies)].encode(), headers=headers)
    timings = latency.Timings()
    for i in range(count):
        status, _, ms = client.request("POST", path, body=bodies[i % len(bodies)].encode(), headers=headers)
        timings.add(ms, status)
    return timings, warmup


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Sequential orders.")
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--profile", type=int, default=0, help="Also profile this many orders in-process.")
    parser.add_argument("--layers", type=int, default=0,
                        help="Only this many orders in-process, CPU charged by layer (bench/layers.py); no server.")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    os.environ.update(server.SERVER_ENV)
    if args.layers:
        os.environ.setdefault("DB_POOL", "0")  # one connection: its backend's CPU is what the orders cost
    import django

    django.setup()
    from bench.run import drop_enqueued, redis_queue_length

    loads = {"start": os.getloadavg()}
    seeded = seed_people(TENANT)
    tenant, host = seeded["tenant"], f"{TENANT}.localhost"
    path = order_path(seeded["item"])
    token = server.manage("api_token", TENANT, seeded["agent"], "--name", "bench/catalogue_submit.py").strip().splitlines()[-1]
    bodies = order_bodies(seeded["people"])
    raw_bodies = [json.dumps(b) for b in bodies]
    queue_before = redis_queue_length()
    if args.layers:
        text = layer_costs(host, token, path, bodies, args.layers)
        queue_after = redis_queue_length()
        if queue_before is not None and queue_after is not None:
            drop_enqueued(queue_after - queue_before)
        drop_outbox(tenant.schema_name)
        (RESULTS / "catalogue-layers.md").write_text(f"# Order CPU by layer ({datetime_now()}, `{figures.describe(ROOT)}`)\n\n"
                                                     f"{text}\n")
        print(text)
        return 0
    warm_status, queries = count_queries(host, token, path, bodies)
    profile = profile_orders(host, token, path, bodies, args.profile) if args.profile else ""

    auth = {"Authorization": f"Token {token}"}
    with server.gunicorn(host=host, workers=args.workers, log_path=RESULTS / "catalogue-gunicorn.log") as (port, master):
        client = latency.Client(port, host, auth)
        before_seq = max_item_id(tenant.schema_name)
        loads["before sequential"] = os.getloadavg()
        seq, warm = sequential(client, path, raw_bodies, args.requests)
        seq_check = check_created(tenant.schema_name, before_seq)
        before_wrk = max_item_id(tenant.schema_name)
        script = loadgen.lua_script(host=host, headers=auth, method="POST", paths=[path], bodies=raw_bodies)
        loads["before wrk"] = os.getloadavg()
        print(f"wrk: {args.connections} connections, {args.seconds} s ...", flush=True)
        with cpu.Sampler(master) as sampler:
            load, raw = loadgen.run(port=port, script=script, connections=args.connections, threads=args.threads,
                                    seconds=args.seconds)
        wrk_statuses = loadgen.statuses(raw)
        wrk_check = check_created(tenant.schema_name, before_wrk)
        rss = cpu.workers_rss_mb(master)
    loads["end"] = os.getloadavg()
    tracebacks = (RESULTS / "catalogue-gunicorn.log").read_text().count("Traceback")
    queue_after = redis_queue_length()
    if queue_before is not None and queue_after is not None:
        drop_enqueued(queue_after - queue_before)
    outbox = drop_outbox(tenant.schema_name)

    created_wrk = wrk_statuses.get(201, 0)
    app_ms, db_ms = sampler.use.per_request_ms(max(1, load.requests))
    cores = os.cpu_count() or 1
    every_201 = (set(wrk_statuses) == {201} and load.socket_errors == 0 and set(seq.statuses) == {201}
                 and warm_status == 201 and all(q.status == 201 for q in queries))
    # wrk stops at its deadline with up to one order in flight per connection: the server may finish
    # (and commit) those after wrk stopped reading, so they are created without a 201 being counted.
    in_flight = wrk_check["items"] - created_wrk
    consistent = (0 <= in_flight <= args.connections
                  and wrk_check["items"] == wrk_check["awaiting approval"] == wrk_check["first stage pending, 2 waiting"]
                  and seq_check["items"] == seq.statuses.get(201, 0) + warm
                  == seq_check["first stage pending, 2 waiting"])
    R = report.Row
    rows = [
        R("SQL statements per order, in-process (3 warm orders)", "—",
          " / ".join(f"{q.queries} (+{q.total - q.queries} SET search_path)" for q in queries)
          + ("" if all(q.status == 201 for q in queries) else f" HTTP {[q.status for q in queries]}")),
        R(f"Order p50 / p95, sequential ({len(seq.samples)} orders)", "—",
          f"{report.ms(seq.p50)} / {report.ms(seq.p95)} (statuses {seq.statuses})"),
        R(f"Order throughput, wrk {args.connections} connections {load.seconds:.0f} s", f">= {TARGET_RPS} req/s",
          f"{load.ok_rate:.0f} req/s (p50 {report.ms(load.p50_ms)}, p95 {report.ms(load.p95_ms)}; statuses "
          f"{wrk_statuses}, {load.socket_errors} socket errors)", every_201 and load.ok_rate >= TARGET_RPS),
        R(f"Server CPU per order (gunicorn + PostgreSQL) → ceiling on {cores} dedicated cores", "—",
          f"{app_ms:.1f} + {db_ms:.1f} ms → {1000 * cores / (app_ms + db_ms):.0f} req/s"),
        R("Created = 201s, each awaiting its first stage (wrk / sequential)", "equal (wrk: + <= 1 per connection)",
          f"wrk {json.dumps(wrk_check)} for {created_wrk} × 201 ({in_flight} in flight when wrk stopped); "
          f"sequential {json.dumps(seq_check)} for "
          f"{seq.statuses.get(201, 0)} + {warm} warm-up", consistent),
        R("Web worker RSS after the run", "—", " / ".join(f"{mb:.0f} MB" for mb in rss)),
    ]
    table = report.table(rows)
    load_line = "; ".join(f"{k} {' '.join(f'{x:.2f}' for x in v)}" for k, v in loads.items())
    text = "\n".join([
        f"# Catalogue submission ({datetime_now()})", "",
        f"Code `{figures.describe(ROOT)}`; tenant `{TENANT}`, item `{ITEM}` (12 variables, chain `{CHAIN}`: 3 stages); "
        f"gunicorn {args.workers} sync workers; wrk {args.connections} connections / {args.threads} threads, "
        f"{len(bodies)} bodies.", "",
        "Machine: " + ", ".join(f"{k}: {v}" for k, v in report.machine().items()), "",
        f"Load average (1/5/15 min): {load_line}", "", table, "",
        f"gunicorn tracebacks: {tracebacks}. In-process warm-up order: HTTP {warm_status}; the counted ones: "
        f"{[q.status for q in queries]}{'; profiled: see the profile' if profile else ''}. Redis `celery` queue: {queue_before} before, {queue_after} after "
        f"(the run's messages then removed, and the tenant's {outbox} approval mail outbox rows).", "",
        "## wrk", "", "```", raw.strip(), "```", "",
        "## SQL of one order", "", "```sql", *queries[-1].sql, "```", "",
        *(["## Profile", "", "```", profile, "```", ""] if profile else []),
    ])
    (RESULTS / "catalogue-latest.md").write_text(text)
    print(table)
    print(f"\nLoad average: {load_line}\nWritten to {RESULTS / 'catalogue-latest.md'}")
    if tracebacks:
        print(f"gunicorn logged {tracebacks} tracebacks: see {RESULTS / 'catalogue-gunicorn.log'}")
    return 0 if every_201 and consistent else 1


def datetime_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())
