"""Thin Celery tasks: an import's run, and the beat scan for stale critical CIs."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection

from cmdb import imports, staleness
from cmdb.models import ImportJob

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def run_import(schema_name: str, job_id: int) -> None:
    """Run one import in its tenant's schema (stamped in the headers; the argument must agree).

    A redelivered copy finds the job's advisory lock taken while the first still runs, and leaves it; run
    again later, the import is idempotent.
    """
    if connection.schema_name != schema_name:
        logger.error("tenant mismatch in import task", extra={"expected": schema_name, "actual": connection.schema_name})
        return
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [f"cmdb-import:{schema_name}:{job_id}"])
        if not cursor.fetchone()[0]:
            logger.info("import already running", extra={"job": job_id})
            return
    try:
        imports.run(job)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"cmdb-import:{schema_name}:{job_id}"])


@shared_task(acks_late=True, ignore_result=True)
def stale_cis_all_tenants() -> None:
    """Beat: fan out one scan per active tenant; each carries its tenant in its headers."""
    from django_tenants.utils import get_tenant_model, tenant_context

    for tenant in get_tenant_model().objects.exclude(schema_name="public").filter(status="active"):
        with tenant_context(tenant):
            raise_stale_ci_tasks.delay(tenant=tenant.schema_name)


@shared_task(acks_late=True, ignore_result=True)
def raise_stale_ci_tasks(*, tenant: str) -> int:
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in staleness task", extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    raised = staleness.raise_stale_tasks()
    if raised:
        logger.info("stale CI tasks raised", extra={"count": len(raised)})
    return len(raised)
