"""Where a request's CPU goes, layer by layer, measured in-process without a profiler.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/layers.py [--types incidents,problems] [--requests 300]

Runs bench/run.py's four scenarios (list, detail, create, queue) through Django's test client
against the seeded tenant (run bench/run.py once first; this seeds nothing) with the production
settings bench/run.py's gunicorn gets, and charges each request's CPU time (``time.process_time``)
to the innermost layer running:

- tenant: django-tenants' host lookup (``TenantMainMiddleware.process_request``);
- auth: DRF authentication (the API token lookup) or the session's user;
- SQL build: the ORM compiling SQL (``SQLCompiler.as_sql``);
- SQL driver: this process's CPU inside the database call (psycopg sending, waiting, decoding);
- rows: Django building model instances / values rows out of fetched results;
- serialize: DRF serializers, or the list's compiled value rows (tickets.api.rows);
- render: JSON rendering (API) or templates (desk);
- other: everything else (the request cycle, middleware, URL resolution, DRF's view machinery,
  forms, filters, services).

PostgreSQL's own CPU is read from its backend's ``/proc/<pid>/stat`` (same machine). Without
a profiler's overhead the layers add up to the measured CPU per request; gunicorn's HTTP
parsing and wrk's CPU are not in it (bench/run.py measures those under load).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

LAYERS = ("tenant", "auth", "SQL build", "SQL driver", "rows", "serialize", "render", "other")


class Ledger:
    """Exclusive CPU time per layer: time in a nested layer is charged to it, not to its caller."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []  # [layer, started, time charged to nested layers]
        self.enabled = False

    @contextmanager
    def layer(self, name: str):
        if not self.enabled or (self._stack and self._stack[-1][0] == name):
            yield  # re-entry of the same layer (nested SQL compilation) stays one span
            return
        frame = [name, time.process_time(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            spent = time.process_time() - frame[1]
            self.totals[name] += spent - frame[2]
            if self._stack:
                self._stack[-1][2] += spent

    def wrap(self, owner, attribute: str, name: str):
        original = getattr(owner, attribute)
        ledger = self

        def wrapped(*args, **kwargs):
            with ledger.layer(name):
                return original(*args, **kwargs)

        wrapped.__wrapped__ = original
        setattr(owner, attribute, wrapped)

    def wrap_iterator(self, owner, attribute: str, name: str):
        """Like ``wrap`` for a generator: each step of the iteration is charged, not the call."""
        original = getattr(owner, attribute)
        ledger = self

        def wrapped(*args, **kwargs):
            iterator = original(*args, **kwargs)
            while True:
                with ledger.layer(name):
                    try:
                        item = next(iterator)
                    except StopIteration:
                        return
                yield item

        setattr(owner, attribute, wrapped)


def instrument(ledger: Ledger) -> None:
    from django.db import connection
    from django.db.models import query
    from django.db.models.sql import compiler
    from django.template import base as template_base
    from django_tenants.middleware.main import TenantMainMiddleware
    from rest_framework import request as drf_request, serializers

    from tickets.api import rows

    ledger.wrap(TenantMainMiddleware, "process_request", "tenant")
    ledger.wrap(drf_request.Request, "_authenticate", "auth")
    ledger.wrap(compiler.SQLCompiler, "as_sql", "SQL build")
    for iterable in (query.ModelIterable, query.ValuesIterable, query.ValuesListIterable, query.FlatValuesListIterable):
        ledger.wrap_iterator(iterable, "__iter__", "rows")
    for cls in (serializers.Serializer, serializers.ListSerializer):  # ``data`` is a property
        original = cls.data

        def data(self, _original=original):
            with ledger.layer("serialize"):
                return _original.fget(self)

        cls.data = property(data)
    ledger.wrap(rows.CompiledRows, "render", "serialize")
    for renderer in {type(r) for r in _renderer_classes()}:
        ledger.wrap(renderer, "render", "render")
    ledger.wrap(template_base.Template, "render", "render")

    def execute(execute_, sql, params, many, context):
        with ledger.layer("SQL driver"):
            return execute_(sql, params, many, context)

    connection.execute_wrappers.append(execute)
    _user_property(ledger)


def _renderer_classes():
    from rest_framework.settings import api_settings

    return [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]


def _user_property(ledger: Ledger) -> None:
    """The desk's session user is loaded lazily on first use: charge that to auth as well."""
    from django.contrib.auth import middleware

    original = middleware.get_user

    def get_user(request):
        with ledger.layer("auth"):
            return original(request)

    middleware.get_user = get_user


def backend_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, call, n: int, ledger: Ledger, backend: int) -> dict:
    for i in range(10):
        call(i)  # warm-up: caches, prepared statements
    ledger.totals.clear()
    ledger.enabled = True
    db_before, started = backend_cpu_seconds(backend), time.process_time()
    for i in range(n):
        with ledger.layer("other"):
            call(i)
    cpu = time.process_time() - started
    ledger.enabled = False
    db = backend_cpu_seconds(backend) - db_before
    per = {layer: 1000 * ledger.totals.get(layer, 0.0) / n for layer in LAYERS}
    return {"scenario": name, "cpu": 1000 * cpu / n, "db": 1000 * db / n, "layers": per}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--types", default="")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)

    from bench import server

    os.environ.update(server.SERVER_ENV)
    os.environ.setdefault("DB_POOL", "0")  # one connection: its backend's CPU is what the requests cost
    import django

    django.setup()
    from django.db import connection

    from bench import querycount, scenarios
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=args.tenant)
    slugs = [s.strip() for s in args.types.split(",") if s.strip()] or None
    token = server.manage("api_token", args.tenant, f"agent@{args.tenant}.example", "--name", "bench/layers.py")
    token = token.strip().splitlines()[-1]
    host = f"{args.tenant}.localhost"
    api = querycount.api_client(host, token)
    desk = querycount.session_client(host, tenant, f"agent@{args.tenant}.example")
    ledger = Ledger()
    instrument(ledger)
    results = []
    for bench in scenarios.discover(slugs):
        scenarios.pick_rows(bench, tenant)
        paths, payload = bench.detail_paths(), json.dumps(bench.create_payload())

        def ok(response):
            assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])

        calls = {
            "list": lambda i: ok(api.get(bench.list_path(50))),
            "detail": lambda i: ok(api.get(paths[i % len(paths)])),
            "create": lambda i: ok(api.post(bench.api_path, data=payload, content_type="application/json")),
            "queue": lambda i: ok(desk.get(bench.queue_path)),
        }
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        for name, call in calls.items():
            n = min(args.requests, 100) if name == "queue" else args.requests
            results.append({"type": bench.slug, **measure(name, call, n, ledger, backend)})
            print(f"{bench.slug} {name}: {results[-1]['cpu']:.1f} ms app CPU, {results[-1]['db']:.1f} ms PostgreSQL",
                  flush=True)
    print()
    print(table(results))
    print(f"\n{args.requests} requests per scenario (queue: at most 100), load average (1 min) "
          f"{os.getloadavg()[0]:.2f} at the end.")
    return 0


def table(results: list[dict]) -> str:
    headers = ["type", "scenario", "app CPU ms/req", *LAYERS, "PostgreSQL CPU ms/req"]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for r in results:
        cells = [r["type"], r["scenario"], f"{r['cpu']:.1f}", *(f"{r['layers'][layer]:.1f}" for layer in LAYERS),
                 f"{r['db']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
