"""Benchmark a CMDB import: 100,000 CSV rows, half of them updates of existing CIs.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/cmdb_import.py [--rows 100000]

In tenant ``cmdbbench`` (created if missing), emptied of CIs first:

1. seed: a first import of the ``--rows / 2`` rows that the measured file will update (a normal
   import through ``cmdb.imports.run``, timed too: all inserts);
2. the measured run: a file of ``--rows`` rows, the first half the seeded CIs (matched by serial,
   FQDN or name + class in turn, each with a changed description and attribute), the second half new
   CIs; ``cmdb.imports.run(job)`` in this process, as the Celery worker runs it, with production
   settings (DEBUG off). Wall time and rows per second;
3. a re-run of the same job: every row unchanged.

Prints a markdown table and writes it to bench/results/cmdb-import-latest.md.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))

RESULTS = BENCH_DIR / "results"
TENANT = "cmdbbench"
HEADER = "class,name,status,environment,criticality,serial_number,fqdn,ip_addresses,description,attr.cpu_cores\n"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DB_POOL", "0")
    import django

    django.setup()


def row(index: int, *, description: str, cores: int) -> str:
    """The CI ``index``: rows match it by serial, FQDN or name + class, a third each."""
    kind = index % 3
    serial = f"SN{index:08d}" if kind == 0 else ""
    fqdn = f"host{index:08d}.bench.example" if kind == 1 else ""
    return (f"linux_server,host-{index:08d},live,production,{1 + index % 4},{serial},{fqdn},"
            f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256},{description},{cores}\n")


def csv_bytes(indices, *, description: str, cores: int) -> bytes:
    return (HEADER + "".join(row(i, description=description, cores=cores) for i in indices)).encode()


def timed_import(by, content: bytes, name: str):
    from django.core.files.base import ContentFile

    from cmdb import imports

    job = imports.start_import(by=by, source="bench", format="csv", filename=name,
                               fileobj=ContentFile(content, name=name))
    started, cpu = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE") and name == "bench.csv":
        import cProfile

        cProfile.runctx("imports.run(job)", globals(), locals(), sort="cumtime")
    else:
        imports.run(job)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    job.refresh_from_db()
    return job, (elapsed, cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from accounts.models import User
    from cmdb.models import CI, ImportJob
    from tenants import services as tenant_services
    from tenants.models import Tenant

    tenant_services.ensure_public_tenant()
    tenant = Tenant.objects.filter(slug=TENANT).first() or tenant_services.create_tenant(
        slug=TENANT, name="CMDB bench", admin_email=f"admin@{TENANT}.test", admin_name="Bench Admin",
        admin_password=None)
    half = args.rows // 2
    with schema_context(tenant.schema_name):
        admin = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
        ImportJob.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE cmdb_ci CASCADE")
        seed_job, seed_s = timed_import(admin, csv_bytes(range(half), description="seeded", cores=4), "seed.csv")
        job, run_s = timed_import(admin, csv_bytes(range(args.rows), description="updated", cores=8), "bench.csv")
        from cmdb import imports

        job = ImportJob.objects.get(pk=job.pk)
        measured = ImportJob.objects.get(pk=job.pk)

        started, cpu = time.perf_counter(), time.process_time()
        imports.run(job)
        rerun_s = (time.perf_counter() - started, time.process_time() - cpu)
        rerun = ImportJob.objects.get(pk=job.pk)
        cis = CI.objects.count()
    lines = [
        "| run | rows | inserted | updated | unchanged | rejected | wall time | rows/s | CPU (this process) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, result, (seconds, cpu) in (("seed (first import)", seed_job, seed_s), ("measured: half updates", measured, run_s),
                                   ("re-run of the same job", rerun, rerun_s)):
        lines.append(f"| {label} | {result.total_rows:,} | {result.inserted:,} | {result.updated:,} | "
                     f"{result.unchanged:,} | {result.rejected:,} | {seconds:.1f} s | {result.total_rows / seconds:,.0f} | {cpu:.1f} s |")
    lines.append("")
    lines.append(f"CIs in the tenant afterwards: {cis:,}; load average: {os.getloadavg()[0]:.2f} "
                 f"(1 min) on {os.cpu_count()} cores.")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cmdb-import-latest.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
