"""The per-process cache of tenant configuration (tenants.config_cache): current, per tenant, never stale."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants import config_cache
from tenants.models import Tenant
from tickets import services as ticket_services
from tests.factories import AdminFactory
from tickets.models import PriorityMatrixEntry

ALL_P4 = {(i, u): 4 for i in (1, 2, 3) for u in (1, 2, 3)}


@pytest.fixture
def admin(tenant):
    return AdminFactory()


class Builds:
    """A build function that counts its calls."""

    def __init__(self, value="v"):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return self.value


def _as_a_new_request(tenant) -> Tenant:
    """The tenant row as the next request would read it (django-tenants reads it on every request)."""
    fresh = Tenant.objects.get(pk=tenant.pk)
    connection.set_tenant(fresh)
    return fresh


def test_a_value_is_built_once_per_tenant_version(tenant):
    config_cache.clear()
    build = Builds()
    assert config_cache.get("thing", build) == "v"
    assert config_cache.get("thing", build) == "v"
    assert build.calls == 1


def test_a_change_gives_the_tenant_a_new_version_once_committed(tenant, django_capture_on_commit_callbacks):
    config_cache.clear()
    before = tenant.config_version
    build = Builds()
    config_cache.get("thing", build)
    with django_capture_on_commit_callbacks(execute=True):
        PriorityMatrixEntry.objects.update_or_create(impact=1, urgency=1, defaults={"priority": 2})
    assert Tenant.objects.get(pk=tenant.pk).config_version != before
    assert connection.tenant.config_version != before  # this process adopted it on commit
    config_cache.get("thing", build)
    assert build.calls == 2


def test_inside_the_changing_transaction_reads_bypass_the_cache(tenant):
    """Until the change commits, the cached copy is what other requests must see, not this one."""
    config_cache.clear()
    assert ticket_services.compute_priority(1, 1) == 1
    PriorityMatrixEntry.objects.update_or_create(impact=1, urgency=1, defaults={"priority": 3})  # not committed
    assert ticket_services.compute_priority(1, 1) == 3
    build = Builds()
    config_cache.get("thing", build)
    config_cache.get("thing", build)
    assert build.calls == 2


def test_another_process_sees_the_change_with_its_next_tenant_row(tenant, admin, django_capture_on_commit_callbacks):
    config_cache.clear()
    stale_row = Tenant.objects.get(pk=tenant.pk)  # what another process's request read before the change
    connection.set_tenant(stale_row)
    assert ticket_services.compute_priority(2, 2) == 3
    with django_capture_on_commit_callbacks(execute=True):
        connection.set_tenant(tenant)
        ticket_services.set_priority_matrix(by=admin, cells=ALL_P4)
    _as_a_new_request(tenant)
    assert ticket_services.compute_priority(2, 2) == 4


def test_tenants_have_their_own_entries(tenant, other_tenant, admin, django_capture_on_commit_callbacks):
    config_cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.set_priority_matrix(by=admin, cells=ALL_P4)
    _as_a_new_request(tenant)
    assert ticket_services.compute_priority(1, 1) == 4
    connection.set_tenant(Tenant.objects.get(pk=other_tenant.pk))
    assert ticket_services.compute_priority(1, 1) == 1  # beta's own (default) matrix, not alpha's cached one
    connection.set_tenant(tenant)


def test_a_schema_context_stand_in_never_caches(tenant, other_tenant):
    config_cache.clear()
    build = Builds()
    with schema_context(other_tenant.schema_name):
        config_cache.get("thing", build)
        config_cache.get("thing", build)
    assert build.calls == 2


def test_a_rolled_back_change_leaves_the_version_and_the_cache_as_they_were(tenant):
    from django.db import transaction

    config_cache.clear()
    before = Tenant.objects.get(pk=tenant.pk).config_version
    try:
        with transaction.atomic():
            PriorityMatrixEntry.objects.update_or_create(impact=1, urgency=1, defaults={"priority": 5})
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert Tenant.objects.get(pk=tenant.pk).config_version == before
    assert ticket_services.compute_priority(1, 1) == 1
