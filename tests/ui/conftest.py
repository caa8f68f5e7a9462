import uuid

import pytest

from tests.factories import make_incident


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A fresh in-memory cache per test (same tenant-aware key function), so login counters never leak between tests."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ui-{uuid.uuid4().hex}",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }


@pytest.fixture
def agent_client(make_client, tenant, agent):
    return make_client(tenant, agent)


@pytest.fixture
def requester_client(make_client, tenant, requester):
    return make_client(tenant, requester)


@pytest.fixture
def incident(tenant, requester, group):
    return make_incident(by=requester, title="VPN refuses my password", description="Since *Monday*.",
                         assignment_group=group)
