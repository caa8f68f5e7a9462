"""Shared fixtures.

Two tenant schemas (alpha, beta) are created once per test session; each test
runs in a transaction that is rolled back, so tests stay fast and isolated.
Beta exists to prove that nothing of alpha's is visible from it.
"""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants import services as tenant_services
from tenants.models import Tenant

ALPHA, BETA = "alpha", "beta"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        tenant_services.ensure_public_tenant()
        for slug, name in ((ALPHA, "Alpha Ltd"), (BETA, "Beta plc")):
            if not Tenant.objects.filter(slug=slug).exists():
                tenant_services.create_tenant(slug=slug, name=name, admin_email=f"admin@{slug}.test",
                                              admin_name=f"{name} Admin", admin_password=None)
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def shared_cache_starts_cold():
    """Every test starts with no current entry in the shared cache (core.shared_cache).

    A test that runs its on-commit callbacks (``django_capture_on_commit_callbacks(execute=True)``)
    lets requests cache rows its transaction then rolls back: a suspended tenant, a new config
    version. New generations void them before the next test, which would otherwise get rows the
    database no longer holds.
    """
    from accounts import token_cache
    from core import shared_cache
    from tenants import host_cache
    from tickets import counter_cache
    from tickets.registry import ticket_models

    shared_cache.reset()
    host_cache.cache.bump(host_cache.SCOPE)
    for schema in ("public", ALPHA, BETA):
        token_cache.cache.bump(schema)
    for schema in (ALPHA, BETA):
        for model in ticket_models():
            counter_cache.cache.bump(counter_cache.scope(schema, model))
    yield
    shared_cache.reset()


@pytest.fixture
def tenant(db):
    """Alpha, active as the connection's schema for the test."""
    alpha = Tenant.objects.get(slug=ALPHA)
    connection.set_tenant(alpha)
    yield alpha
    connection.set_schema_to_public()


@pytest.fixture
def other_tenant(db):
    return Tenant.objects.get(slug=BETA)


@pytest.fixture
def in_other_tenant(other_tenant):
    """Context manager factory: ``with in_other_tenant(): ...`` runs in beta's schema."""
    return lambda: schema_context(other_tenant.schema_name)


def host_of(tenant) -> str:
    return tenant_services.tenant_host(tenant.slug)


@pytest.fixture
def make_client():
    """A browser-like client on a tenant's host, optionally logged in."""

    def factory(tenant, user=None):
        client = Client(HTTP_HOST=host_of(tenant))
        if user is not None:
            client.force_login(user)
        return client

    return factory


@pytest.fixture
def cache_of_its_own(settings):
    """The real Redis cache under a key prefix of the test's own: counters (the login limiter's)
    start at zero and never leak into other tests, and the limiter's Redis script really runs."""
    import uuid

    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES,
                       "default": {**default, "KEY_PREFIX": f"{default['KEY_PREFIX']}-{uuid.uuid4().hex[:12]}"}}


@pytest.fixture
def agent(tenant):
    from tests.factories import AgentFactory

    return AgentFactory()


@pytest.fixture
def requester(tenant):
    from tests.factories import RequesterFactory

    return RequesterFactory()


@pytest.fixture
def group(tenant, agent):
    from tests.factories import GroupFactory

    group = GroupFactory()
    group.members.add(agent)
    return group


@pytest.fixture(scope="session")
def live_database():
    """A migrated database with the demo tenants, shared by every real-server test of the session."""
    from tests.live import seeded_database

    with seeded_database("live") as db:
        yield db


@pytest.fixture(scope="session")
def gunicorn_server(live_database):
    """The server `make run` uses (gunicorn, threaded workers, pooled connections) on the demo data."""
    from tests.live import live_server

    with live_server(live_database, "gunicorn") as server:
        yield server


@pytest.fixture(scope="session")
def runserver_server(live_database):
    """Django's wsgiref development server (`make dev`) on the same data."""
    from tests.live import live_server

    with live_server(live_database, "runserver") as server:
        yield server
