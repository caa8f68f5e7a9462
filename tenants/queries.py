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
    open_tickets: int


def console_tenants() -> QuerySet:
    """Client tenants (not the public schema's row), with their domains for the host link."""
    return Tenant.objects.exclude(schema_name=get_public_schema_name()).prefetch_related("domains").order_by("name")


def tenant_counts(tenant: Tenant) -> TenantCounts:
    """Active users and open tickets (of every ticket type) of one tenant: one query inside its schema.

    The tables live in the tenant's schema, so this switches the search path rather
    than joining across schemas. Ticket types come from the registry, so the console
    imports no process app.
    """
    from accounts.models import User
    from tickets.registry import ticket_models

    open_counts = [
        (f'(SELECT COUNT(*) FROM "{model._meta.db_table}" WHERE state = ANY(%s))', sorted(model.workflow.open_states))
        for model in ticket_models()
    ]
    sql = f'SELECT (SELECT COUNT(*) FROM "{User._meta.db_table}" WHERE is_active), ' + (
        " + ".join(part for part, _ in open_counts) or "0"
    )
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(sql, [states for _, states in open_counts])
        users, open_tickets = cursor.fetchone()
    return TenantCounts(users=users, open_tickets=open_tickets)
