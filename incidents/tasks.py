from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from incidents import services


@shared_task(acks_late=True, ignore_result=True)
def auto_close_resolved_all_tenants() -> None:
    """Beat: fan out one task per active tenant; each carries its tenant in its headers."""
    for tenant in get_tenant_model().objects.exclude(schema_name="public").filter(status="active"):
        with tenant_context(tenant):
            auto_close_resolved.delay(tenant=tenant.schema_name)


@shared_task(acks_late=True, ignore_result=True)
def auto_close_resolved(*, tenant: str) -> int:
    return services.auto_close_resolved()
