"""Benchmark the approvals tick: 2 worker processes draining 10,000 due reminders and timeouts.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/approvals.py [--stages 10000] [--workers 2]

Seeds (or tops up) tenant ``apbench`` with incidents (``demo.seeding.bulk_seed_incidents``) and, for
each run, one pending approval per incident (a manager stage) written set-based, as the engine
writes them: the stage, its request and its row in the public due index. A third of the stages
are due for a reminder, a third for a timeout that rejects, a third for one that escalates.

Measured with production settings (DEBUG off, mail enqueued to Redis, not sent):

1. the idle tick (nothing due) with all stages' due rows in the future, and again with only 1%
   of them: the tick's cost must follow due work, not the rows it could have;
2. the due run: ``--workers`` processes ticking at once until nothing is due, wall time and
   stages per second; then the exactly-once checks: every reminder stage reminded once, every
   timeout fired once (rejected or escalated), one timeline entry each, no due row left behind.

Prints a markdown table and writes it to bench/results/approvals-latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

RESULTS = BENCH_DIR / "results"
TENANT = "apbench"
CHAIN = "Bench approval"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stages", type=int, default=10000, help="Pending approvals made due in the run.")
    parser.add_argument("--workers", type=int, default=2, help="Tick processes running at once.")
    parser.add_argument("--idle-runs", type=int, default=50)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DB_POOL", "0")
    import django

    django.setup()


def worker() -> None:
    from approvals import scanner

    done = {}
    started = time.perf_counter()
    while True:
        batch = scanner.tick(max_rounds=1)
        for key, value in batch.items():
            done[key] = done.get(key, 0) + value
        if not batch:
            break
    print(json.dumps({"done": done, "seconds": round(time.perf_counter() - started, 2)}))


def ensure_tenant(n: int, slug: str = TENANT, name: str = "Approvals bench"):
    """Tenant ``slug`` (created once, with its admin) topped up to ``n`` incidents and their people."""
    from demo.seeding import bulk_seed_incidents
    from tenants import services as tenant_services
    from tenants.models import Tenant

    tenant_services.ensure_public_tenant()
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_services.create_tenant(slug=slug, name=name, admin_email=f"admin@{slug}.test",
                                               admin_name="Bench Admin", admin_password=None)
    bulk_seed_incidents(tenant, n)
    return tenant


def seed_approvals(tenant, n: int, *, due: bool) -> dict[str, list[int]]:
    """Replace the bench's approvals with ``n`` pending ones; their due rows now (``due``) or a day ahead."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import User
    from approvals.due.models import DueStage, PendingMail
    from approvals.models import Approval, ApprovalChainDefinition, ApprovalRequest, ApprovalStage, StageDefinition
    from incidents.models import Incident
    from tickets.models import TimelineEntry

    now = timezone.now()
    moment = now - timedelta(minutes=1) if due else now + timedelta(days=1)
    kinds = {"reminder": [], "reject": [], "escalate": []}
    with schema_context(tenant.schema_name), transaction.atomic():
        TimelineEntry.objects.filter(kind="approval").delete()
        DueStage.objects.filter(schema_name=tenant.schema_name).delete()
        PendingMail.objects.filter(schema_name=tenant.schema_name).delete()
        Approval.objects.all().delete()
        manager = User.objects.filter(role="agent").order_by("pk").first()
        director = User.objects.filter(role="agent").order_by("-pk").first()
        chain, _ = ApprovalChainDefinition.objects.get_or_create(name=CHAIN)
        if not chain.stages.exists():
            StageDefinition.objects.create(chain=chain, order=1, name="Manager", kind="user", user=manager)
        tickets = list(Incident.objects.order_by("pk").values_list("pk", flat=True)[:n])
        approvals = Approval.objects.bulk_create([
            Approval(ticket_type="incidents.incident", ticket_id=pk, definition=chain, chain_name=CHAIN)
            for pk in tickets])
        stages = []
        for index, approval in enumerate(approvals):
            kind = ("reminder", "reject", "escalate")[index % 3]
            stage = ApprovalStage(approval=approval, order=1, name="Manager", kind="user", user=manager,
                                  state=ApprovalStage.State.PENDING, started_at=now - timedelta(hours=3))
            if kind == "reminder":
                stage.reminder_after_hours, stage.next_reminder_at = 1, moment
            else:
                stage.timeout_after_hours, stage.timeout_at = 2, moment
                stage.timeout_action = kind
                stage.escalate_to = director if kind == "escalate" else None
            stages.append(stage)
        stages = ApprovalStage.objects.bulk_create(stages)
        ApprovalRequest.objects.bulk_create([ApprovalRequest(stage=s, approver=manager) for s in stages])
        DueStage.objects.bulk_create([DueStage(schema_name=tenant.schema_name, stage_id=s.pk, due_at=moment)
                                      for s in stages])
        for stage in stages:
            kinds["reminder" if stage.reminder_after_hours else stage.timeout_action].append(stage.pk)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE approvals_due_duestage")
    return kinds


def idle_tick_ms(runs: int) -> float:
    from approvals import scanner

    scanner.tick()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        scanner.tick()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def keep_only(tenant, share: float) -> int:
    from approvals.due.models import DueStage

    ids = list(DueStage.objects.filter(schema_name=tenant.schema_name).order_by("pk").values_list("pk", flat=True))
    keep = ids[:max(1, int(len(ids) * share))]
    DueStage.objects.filter(schema_name=tenant.schema_name).exclude(pk__in=keep).delete()
    return len(keep)


def run_workers(count: int) -> tuple[float, list[dict]]:
    env = {**os.environ}
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker"], env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(count)]
    outputs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
    return round(time.perf_counter() - started, 2), outputs


def check(tenant, kinds: dict[str, list[int]]) -> dict:
    from django.db.models import Count
    from django_tenants.utils import schema_context

    from approvals.due.models import DueStage
    from approvals.models import Approval, ApprovalRequest, ApprovalStage
    from tickets.models import TimelineEntry

    with schema_context(tenant.schema_name):
        events = dict(TimelineEntry.objects.filter(kind="approval").values_list("data__approval__event")
                      .annotate(n=Count("id")).values_list("data__approval__event", "n"))
        result = {
            "reminded once": ApprovalStage.objects.filter(pk__in=kinds["reminder"], reminders_sent=1).count()
            == len(kinds["reminder"]),
            "rejected once": Approval.objects.filter(stages__pk__in=kinds["reject"], state="rejected").count()
            == len(kinds["reject"]),
            "escalated once": ApprovalRequest.objects.filter(stage__pk__in=kinds["escalate"], is_escalation=True).count()
            == len(kinds["escalate"]),
            "timeline": events,
            "timeline exact": events.get("reminder") == len(kinds["reminder"])
            and events.get("rejected_chain") == len(kinds["reject"]) and events.get("escalated") == len(kinds["escalate"]),
            "due rows left": DueStage.objects.filter(schema_name=tenant.schema_name,
                                                     stage_id__in=kinds["reject"] + kinds["escalate"]).count(),
        }
    return result


def purge_mail_queue() -> int:
    from itsm.celery import app

    return app.control.purge() or 0


def main(argv=None) -> None:
    args = parse_args(argv)
    setup_django()
    if args.worker:
        worker()
        return
    from django.db import connection

    tenant = ensure_tenant(args.stages)
    seed_approvals(tenant, args.stages, due=False)
    idle_all = idle_tick_ms(args.idle_runs)
    kept = keep_only(tenant, 0.01)
    idle_few = idle_tick_ms(args.idle_runs)
    kinds = seed_approvals(tenant, args.stages, due=True)
    connection.close()
    wall, outputs = run_workers(args.workers)
    done = {}
    for output in outputs:
        for key, value in output["done"].items():
            done[key] = done.get(key, 0) + value
    checks = check(tenant, kinds)
    purged = purge_mail_queue()
    rows = [
        ("idle tick, %d future due rows (median)" % args.stages, f"{idle_all} ms"),
        ("idle tick, %d future due rows (median)" % kept, f"{idle_few} ms"),
        (f"due run: {args.stages} stages, {args.workers} workers", f"{wall} s ({round(args.stages / wall)} stages/s)"),
        ("per worker", ", ".join(f"{o['done']} in {o['seconds']} s" for o in outputs)),
        ("done in total", json.dumps(done)),
        ("exactly once", json.dumps({k: v for k, v in checks.items() if k != "timeline"})),
        ("mail messages purged from the broker", str(purged)),
    ]
    table = "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "approvals-latest.md").write_text(f"# Approvals tick\n\n{table}\n\nTimeline: {checks['timeline']}\n")


if __name__ == "__main__":
    main()
