"""API clients for tests: a tenant's host plus Token, Bearer or session authentication."""

from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.services import create_api_token
from tenants.services import tenant_host


def api_client(tenant, user=None, *, auth: str = "token") -> APIClient:
    client = APIClient(HTTP_HOST=tenant_host(tenant.slug))
    client.default_format = "json"
    if user is None:
        return client
    with schema_context(tenant.schema_name):
        if auth == "session":
            client.force_login(user)
        else:
            _, key = create_api_token(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"{'Bearer' if auth == 'bearer' else 'Token'} {key}")
    return client


def back_to(tenant) -> None:
    """A request to another tenant's host leaves the connection on that tenant; come back."""
    connection.set_tenant(tenant)


def error_of(response) -> dict:
    """The error body, checked for the one shape every API error has."""
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body
