"""SQL queries per request, counted in-process with Django's test Client (same settings, same database)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context


@dataclass
class Counted:
    status: int
    sql: list

    @property
    def total(self) -> int:
        """Every statement sent, including django-tenants' ``SET search_path`` before each query."""
        return len(self.sql)

    @property
    def queries(self) -> int:
        """The request's own queries (what ``django_assert_num_queries`` budgets are about)."""
        return sum(1 for statement in self.sql if not statement.startswith("SET search_path"))


def count(client: Client, method: str, path: str, **kwargs) -> Counted:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method.lower())(path, **kwargs)
    return Counted(response.status_code, [q["sql"] for q in captured.captured_queries])


def api_client(host: str, token: str) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}")


def session_client(host: str, tenant, email: str) -> Client:
    """A client logged in as ``email``; the session is stored in the tenant's own schema."""
    from accounts.models import User

    client = Client(HTTP_HOST=host)
    with schema_context(tenant.schema_name):
        client.force_login(User.objects.get(email=email))
    return client


def post_json(client: Client, path: str, payload: dict) -> Counted:
    return count(client, "POST", path, data=json.dumps(payload), content_type="application/json")
