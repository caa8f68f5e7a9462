"""Application CPU of the agent queue page, in-process: total and template time per request, and queries.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/queue_render.py [--tenant acme] [--requests 200]
        [--types incidents,problems] [--profile]

Runs Django's test ``Client`` in this process with production settings (``DEBUG=0``), logged in
as the tenant's demo agent (``agent@<tenant>.example``), against a seeded tenant (``manage.py
seed_demo --tenant acme --incidents N``). The seeding makes no SLA clocks, so before measuring
this gives every open incident without clocks two (response, resolution) in a spread of states (running ok,
warning, breached, paused, met) on the 24x7 calendar and an inactive policy; it is a no-op once
done. Per request it records ``time.process_time()`` around the whole request and, separately,
the outermost template renders (``django.template.backends.django.Template.render``, which also
covers templates an extension renders from the view). Reports the mean, median and p95, and the
request's query count (without django-tenants' ``SET search_path``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-queue-render-not-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")


def ensure_clocks(schema: str) -> int:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from incidents.models import Incident
    from sla.models import Calendar, Clock, Metric, Policy

    with schema_context(schema):
        policy, _ = Policy.objects.get_or_create(name="Bench queue badges", defaults={"order": 999, "is_active": False})
        if policy.clocks.exists():
            return Clock.objects.count()
        calendar = Calendar.objects.get(is_24x7=True)
        now, clocks = timezone.now(), []
        clocked = Clock.objects.filter(ticket_type="incidents.incident").values("ticket_id")
        for n, (pk, priority, state) in enumerate(Incident.objects.filter(state__in=["new", "in_progress", "on_hold"])
                                                  .exclude(pk__in=clocked).values_list("pk", "priority", "state")):
            target = 4 * 3600
            due = now + timedelta(minutes=(n % 11) * 30 - 90)  # breached, warning and ok deadlines
            common = dict(ticket_type="incidents.incident", ticket_id=pk, policy=policy, calendar=calendar,
                          priority=priority)
            clocks.append(Clock(metric=Metric.RESPONSE, target_seconds=3600, started_at=due - timedelta(hours=1),
                                deadline=due - timedelta(hours=3), **common,
                                **({"state": "stopped", "outcome": "met", "stopped_at": due - timedelta(hours=3, minutes=20)}
                                   if state != "new" else {})))
            paused = state == "on_hold"
            clocks.append(Clock(metric=Metric.RESOLUTION, target_seconds=target, started_at=due - timedelta(seconds=target),
                                deadline=due, state="paused" if paused else "running",
                                pauses=[[(now - timedelta(hours=1)).isoformat(), None]] if paused else [],
                                breached_at=due if due < now else None, first_breached_at=due if due < now else None,
                                **common))
        Clock.objects.bulk_create(clocks, batch_size=2000)
        return len(clocks)


def measure(client, path: str, requests: int, htmx: bool = False):
    import django.template.backends.django as backend
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    spent = {"template": 0.0, "depth": 0}
    original = backend.Template.render

    def timed_render(self, context=None, request=None):
        spent["depth"] += 1
        start = time.process_time() if spent["depth"] == 1 else None
        try:
            return original(self, context, request)
        finally:
            spent["depth"] -= 1
            if start is not None:
                spent["template"] += time.process_time() - start

    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for _ in range(20):
        assert client.get(path, **headers).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    backend.Template.render = timed_render
    totals, templates = [], []
    try:
        for _ in range(requests):
            spent["template"] = 0.0
            start = time.process_time()
            client.get(path, **headers)
            totals.append((time.process_time() - start) * 1000)
            templates.append(spent["template"] * 1000)
    finally:
        backend.Template.render = original
    return {"queries": len(statements), "bytes": len(response.content), "totals": totals, "templates": templates}


def p95(values):
    return sorted(values)[int(len(values) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--types", default="incidents,problems")
    parser.add_argument("--profile", action="store_true", help="cProfile (CPU time) the incident queue instead; env SORT, TOP, CALLERS, HTMX")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tenants import services as tenant_services
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=args.tenant)
    print(f"clocks in {tenant.slug}: {ensure_clocks(tenant.schema_name)}")
    client = Client(HTTP_HOST=tenant_services.tenant_host(tenant.slug))
    with schema_context(tenant.schema_name):
        client.force_login(User.objects.get(email=f"agent@{tenant.slug}.example"))
    if args.profile:
        import cProfile
        import pstats

        headers = {"HTTP_HX_REQUEST": "true"} if os.environ.get("HTMX") else {}
        for _ in range(20):
            client.get("/desk/incidents/", **headers)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(50):
            client.get("/desk/incidents/", **headers)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "40")))
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        return
    print(f"load average before: {os.getloadavg()}")
    for slug in args.types.split(","):
        for label, path, htmx in ((f"{slug} queue", f"/desk/{slug}/", False),
                                  (f"{slug} rows (htmx)", f"/desk/{slug}/", True)):
            result = measure(client, path, args.requests, htmx)
            totals, templates = result["totals"], result["templates"]
            print(f"{label:24} app CPU ms/request mean {statistics.mean(totals):6.2f} median "
                  f"{statistics.median(totals):6.2f} p95 {p95(totals):6.2f} | template mean "
                  f"{statistics.mean(templates):6.2f} median {statistics.median(templates):6.2f} | "
                  f"queries {result['queries']} | {result['bytes']} bytes")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
