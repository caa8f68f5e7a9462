import pytest

from tests.factories import make_incident


@pytest.fixture(autouse=True)
def isolated_cache(cache_of_its_own):
    """Login counters never leak between UI tests."""


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
