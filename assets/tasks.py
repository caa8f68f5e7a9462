"""Thin Celery tasks: the daily contract renewal reminders, fanned out per tenant."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection

from assets import reminders

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def contract_reminders_all_tenants() -> None:
    """Beat: one task per active tenant; each carries its tenant in its headers."""
    from django_tenants.utils import get_tenant_model, tenant_context

    for tenant in get_tenant_model().objects.exclude(schema_name="public").filter(status="active"):
        with tenant_context(tenant):
            send_contract_reminders.delay(tenant=tenant.schema_name)


@shared_task(acks_late=True, ignore_result=True)
def send_contract_reminders(*, tenant: str) -> int:
    """Mail the contracts of ``tenant`` whose renewal notice window opened; safe to run twice."""
    # The schema comes from the task headers (tenant-schemas-celery); the argument is a second guard.
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in contract reminder task",
                     extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    sent = reminders.send_renewal_reminders()
    if sent:
        logger.info("contract reminders sent", extra={"sent": sent})
    return sent
