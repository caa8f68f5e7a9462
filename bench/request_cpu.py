"""The fixed per-request cost of the API, in-process: app CPU and SQL per request through every middleware.

Django's test ``Client`` (the full MIDDLEWARE stack, URL routing, DRF, the renderer) on production
settings (DEBUG off, the real Redis cache), one request at a time, ``time.process_time()`` around each:
CPU of this process only, so the figure stays meaningful on a shared machine (wall time does not).
PostgreSQL's CPU is not in it; the SQL statements each request sends are listed instead.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/request_cpu.py [--tenant acme] [--requests 300]

``--cold`` drops the cached tenant-by-host and token entries before every request (the first request
after a change), to set against the warm figures. The tenant needs incidents (``manage.py seed_demo
--tenant acme --incidents 500``); an agent's token is created for the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
os.environ.setdefault("SECRET_KEY", "bench-request-cpu-" + "x" * 40)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# The test Client never returns a connection to a pool: one persistent connection, as a gthread worker's.
os.environ.setdefault("DB_POOL", "0")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--agent", default="agent@acme.example")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cold", action="store_true", help="drop the shared cache's entries before each request")
    return parser.parse_args(argv)


def forget_cached_lookups() -> None:
    """What a change would do: every host entry and this tenant's token entries stop being current."""
    try:
        from tenants import host_cache
        from accounts import token_cache
    except ImportError:  # before the caches existed: nothing to forget
        return
    from django.db import connection

    host_cache.cache.bump(host_cache.SCOPE)
    token_cache.cache.bump(connection.schema_name)


def measure(client, path: str, *, requests: int, cold: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(20):  # warm up: imports, compiled rows, the token's last-used stamp
        assert client.get(path).status_code == 200
    if cold:
        forget_cached_lookups()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]  # now: the next request empties the log
    cpu = []
    for _ in range(requests):
        if cold:
            forget_cached_lookups()
        started = time.process_time()
        response = client.get(path)
        cpu.append((time.process_time() - started) * 1000)
        assert response.status_code == 200
    return {"path": path, "mean": statistics.fmean(cpu), "median": statistics.median(cpu),
            "p90": statistics.quantiles(cpu, n=10)[-1], "statements": len(sql),
            "queries": sum(1 for s in sql if not s.startswith("SET search_path")), "sql": sql}


def main(argv=None) -> int:
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.services import create_api_token
    from incidents.models import Incident
    from tenants.models import Tenant
    from tenants.services import tenant_host

    tenant = Tenant.objects.get(slug=args.tenant)
    with schema_context(tenant.schema_name):
        _, key = create_api_token(user=User.objects.get(email=args.agent), name="bench/request_cpu.py")
        incidents = Incident.objects.count()
        number = Incident.objects.order_by("-id").values_list("number", flat=True).first()
    client = Client(HTTP_HOST=tenant_host(tenant.slug), HTTP_AUTHORIZATION=f"Token {key}")
    results = [measure(client, path, requests=args.requests, cold=args.cold)
               for path in ("/api/v1/incidents/?page_size=50", f"/api/v1/incidents/{number}/")]
    connection.set_schema_to_public()
    print(f"tenant {tenant.slug}: {incidents} incidents; {args.requests} requests per path"
          f"{' (cold lookups)' if args.cold else ''}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| request | app CPU ms/req mean | median | p90 | queries (+ SET search_path) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| GET {r['path']} | {r['mean']:.2f} | {r['median']:.2f} | {r['p90']:.2f} | "
              f"{r['queries']} (+{r['statements'] - r['queries']}) |")
    for r in results:
        print(f"\nSQL of GET {r['path']}:")
        for statement in r["sql"]:
            print(f"  {statement[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
