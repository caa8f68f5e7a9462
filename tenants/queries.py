"""Read paths for the MSP console."""

from __future__ import annotations

from collections.abc import Callable
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


# Where a schema's open tickets are: name -> callable returning [(db_table, open states), ...]. The
# ticket core sits a floor above tenants and fills this in (tickets.apps), so the console counts
# every ticket type without importing tickets or any process app.
open_ticket_sources: dict[str, Callable[[], list[tuple[str, list[str]]]]] = {}


def add_open_ticket_source(name: str, tables: Callable[[], list[tuple[str, list[str]]]]) -> None:
    open_ticket_sources[name] = tables


def tenant_counts(tenant: Tenant) -> TenantCounts:
    """Active users and open tickets (of every ticket type) of one tenant: one query inside its schema.

    The tables live in the tenant's schema, so this switches the search path rather
    than joining across schemas.
    """
    from accounts.models import User

    open_counts = [
        (f'(SELECT COUNT(*) FROM "{table}" WHERE state = ANY(%s))', states)
        for tables in open_ticket_sources.values() for table, states in tables()
    ]
    sql = f'SELECT (SELECT COUNT(*) FROM "{User._meta.db_table}" WHERE is_active), ' + (
        " + ".join(part for part, _ in open_counts) or "0"
    )
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(sql, [states for _, states in open_counts])
        users, open_tickets = cursor.fetchone()
    return TenantCounts(users=users, open_tickets=open_tickets)
