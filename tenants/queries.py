"""Read paths for the MSP console."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Tenant


@dataclass(frozen=True)
class TenantCounts:
    users: int
    open_incidents: int


def console_tenants() -> QuerySet:
    """Client tenants (not the public schema's row), with their domains for the host link."""
    return Tenant.objects.exclude(schema_name=get_public_schema_name()).prefetch_related("domains").order_by("name")


def tenant_counts(tenant: Tenant) -> TenantCounts:
    """Active users and open incidents of one tenant: one query inside its schema.

    Both tables live in the tenant's schema, so this switches the search path
    rather than joining across schemas.
    """
    from accounts.models import User
    from incidents.models import Incident
    from incidents.workflow import OPEN

    sql = (
        f'SELECT (SELECT COUNT(*) FROM "{User._meta.db_table}" WHERE is_active), '
        f'(SELECT COUNT(*) FROM "{Incident._meta.db_table}" WHERE state = ANY(%s))'
    )
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(sql, [list(OPEN)])
        users, open_incidents = cursor.fetchone()
    return TenantCounts(users=users, open_incidents=open_incidents)
