"""The tenant of a host from the shared cache (tenants.host_cache): no query when warm, never stale, never another's.

``django_capture_on_commit_callbacks(execute=True)`` stands for the commit of a change: what other
processes see from then on is what the cache holds, since this test's transaction never commits.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core import shared_cache
from tenants import config_cache, host_cache
from tenants.models import Domain, Tenant
from tenants.services import suspend_tenant, tenant_host, update_branding
from tests.conftest import host_of


def domain_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "tenants_domain" in q["sql"]]


def get(host: str, path: str = "/api/v1/incidents/"):
    """A request as the next one of any process would make it; the tenant it resolved, and its SQL."""
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST=host).get(path)
    return response, queries


def resolved(response):
    return getattr(response.wsgi_request, "tenant", None)


def test_a_warm_host_resolves_without_a_query_and_a_cold_one_with_one(tenant):
    host = host_of(tenant)
    response, cold = get(host)
    assert resolved(response).schema_name == tenant.schema_name
    assert len(domain_queries(cold)) == 1
    response, warm = get(host)
    assert response.status_code == 401  # the API's own answer: the tenant was resolved
    assert resolved(response).schema_name == tenant.schema_name
    assert domain_queries(warm) == []
    assert 'SET search_path = "public"' not in [q["sql"] for q in warm.captured_queries]  # nor its search path


def test_the_cached_tenant_is_the_row_field_for_field(tenant):
    get(host_of(tenant))
    response, warm = get(host_of(tenant))
    assert domain_queries(warm) == []
    cached, row = resolved(response), Tenant.objects.get(pk=tenant.pk)
    assert {f.attname: getattr(cached, f.attname) for f in Tenant._meta.concrete_fields} == \
        {f.attname: getattr(row, f.attname) for f in Tenant._meta.concrete_fields}
    assert cached.is_active and cached.domain_url == host_of(tenant)


def test_each_host_resolves_to_its_own_tenant(tenant, other_tenant):
    for _ in range(2):  # cold, then warm
        assert resolved(get(host_of(tenant))[0]).schema_name == tenant.schema_name
        assert resolved(get(host_of(other_tenant))[0]).schema_name == other_tenant.schema_name


def test_a_domain_moved_to_another_tenant_resolves_to_the_new_one_at_once(tenant, other_tenant,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain = Domain.objects.create(domain="helpdesk.localhost", tenant=tenant, is_primary=False)
    get("helpdesk.localhost")
    response, warm = get("helpdesk.localhost")
    assert resolved(response).schema_name == tenant.schema_name and domain_queries(warm) == []
    with django_capture_on_commit_callbacks(execute=True):
        domain.tenant = other_tenant
        domain.save()
    response, after = get("helpdesk.localhost")
    assert resolved(response).schema_name == other_tenant.schema_name
    assert len(domain_queries(after)) == 1  # dropped on commit, not bypassed
    assert resolved(get("helpdesk.localhost")[0]).schema_name == other_tenant.schema_name


def test_a_deleted_domain_stops_resolving_at_once(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        domain = Domain.objects.create(domain="old-name.localhost", tenant=tenant, is_primary=False)
    get("old-name.localhost")
    assert resolved(get("old-name.localhost")[0]).schema_name == tenant.schema_name
    with django_capture_on_commit_callbacks(execute=True):
        domain.delete()
    response, _ = get("old-name.localhost")
    assert response.status_code == 404 and response.json()["code"] == "unknown_tenant"


def test_unknown_hosts_still_get_the_404_and_a_new_domain_ends_it_at_once(tenant, django_capture_on_commit_callbacks):
    for path, content_type in (("/api/v1/incidents/", "application/json"), ("/", "text/html; charset=utf-8")):
        for _ in range(2):  # the second from the cached "unknown"
            response, _ = get("nobody.localhost", path)
            assert response.status_code == 404
            assert response["Content-Type"] == content_type
    assert get("nobody.localhost")[0].json() == {"detail": "No service desk is served at nobody.localhost.",
                                                  "code": "unknown_tenant", "fields": {}}
    assert domain_queries(get("nobody.localhost")[1]) == []
    with django_capture_on_commit_callbacks(execute=True):
        Domain.objects.create(domain="nobody.localhost", tenant=tenant, is_primary=False)
    assert resolved(get("nobody.localhost")[0]).schema_name == tenant.schema_name


def test_suspension_takes_effect_with_the_next_request(tenant, agent, make_client, django_capture_on_commit_callbacks):
    client = make_client(tenant, agent)
    assert client.get("/api/v1/incidents/").status_code == 200
    assert client.get("/api/v1/incidents/").status_code == 200  # warm
    with django_capture_on_commit_callbacks(execute=True):
        suspend_tenant(Tenant.objects.get(pk=tenant.pk), reason="unpaid")
    assert client.get("/api/v1/incidents/").json()["code"] == "tenant_suspended"
    assert client.get("/api/v1/incidents/").status_code == 403  # and from the cache


def test_a_status_set_by_queryset_update_takes_effect_too(tenant, agent, make_client,
                                                          django_capture_on_commit_callbacks):
    client = make_client(tenant, agent)
    client.get("/api/v1/incidents/")
    with django_capture_on_commit_callbacks(execute=True):
        Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    assert client.get("/api/v1/incidents/").status_code == 403


def test_a_new_config_version_reaches_the_next_request(tenant, django_capture_on_commit_callbacks):
    """config_cache.changed() updates the row with a queryset update: the host entry must follow it."""
    get(host_of(tenant))
    before = resolved(get(host_of(tenant))[0]).config_version
    with django_capture_on_commit_callbacks(execute=True):
        config_cache.changed()
    current = Tenant.objects.get(pk=tenant.pk).config_version
    assert current != before
    assert resolved(get(host_of(tenant))[0]).config_version == current


def test_branding_saved_shows_on_the_next_page(tenant, django_capture_on_commit_callbacks):
    get(host_of(tenant), "/login/")
    with django_capture_on_commit_callbacks(execute=True):
        update_branding(Tenant.objects.get(pk=tenant.pk), product_name="Alpha Help Centre")
    response, _ = get(host_of(tenant), "/login/")
    assert "Alpha Help Centre" in response.content.decode()


def test_inside_the_changing_transaction_the_cache_is_bypassed(tenant):
    get(host_of(tenant))
    update_branding(Tenant.objects.get(pk=tenant.pk), product_name="Not yet committed")  # no commit
    response, queries = get(host_of(tenant), "/login/")
    assert "Not yet committed" in response.content.decode()
    assert len(domain_queries(queries)) == 1


def test_a_row_read_before_a_change_committed_is_never_served(tenant):
    """A request reads the generation, then the row; the change commits in between; the request then
    stores what it read. That entry must not count: it holds the row as it was before the change."""
    key = tenant_host(tenant.slug)
    _, generation = host_cache.cache.fetch(host_cache.SCOPE, key)
    stale = ("stale", "row")
    host_cache.cache.bump(host_cache.SCOPE)  # the change's commit
    host_cache.cache.store(host_cache.SCOPE, key, generation, stale)
    assert host_cache.cache.fetch(host_cache.SCOPE, key)[0] is shared_cache.MISSING
    response, queries = get(key)
    assert resolved(response).schema_name == tenant.schema_name and len(domain_queries(queries)) == 1


@pytest.fixture
def redis_down(settings):
    """The shared cache's Redis refuses connections (nothing listens on port 1)."""
    settings.CACHES = {**settings.CACHES, "shared": {**settings.CACHES["shared"], "LOCATION": "redis://127.0.0.1:1/0"}}
    yield
    shared_cache.reset()


def test_redis_down_falls_back_to_the_database(tenant, other_tenant, agent, make_client, redis_down, caplog):
    client = make_client(tenant, agent)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/incidents/").status_code == 200
        assert len(domain_queries(queries)) == 1
    assert get("nobody.localhost")[0].status_code == 404
    assert resolved(get(host_of(other_tenant))[0]).schema_name == other_tenant.schema_name
    warnings = [r for r in caplog.records if r.name == "core.shared_cache"]
    assert len(warnings) == 1, "one warning per outage, not one per request"


def test_a_change_made_while_redis_was_down_still_drops_the_entries(tenant, agent, make_client, settings, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    monkeypatch.setattr(shared_cache, "RETRY_SECONDS", 0)  # Redis is tried again at once
    client = make_client(tenant, agent)
    client.get("/api/v1/incidents/")  # cached, active
    shared = settings.CACHES["shared"]
    settings.CACHES = {**settings.CACHES, "shared": {**shared, "LOCATION": "redis://127.0.0.1:1/0"}}
    with django_capture_on_commit_callbacks(execute=True):
        suspend_tenant(Tenant.objects.get(pk=tenant.pk))
    settings.CACHES = {**settings.CACHES, "shared": shared}  # Redis back, still with the active tenant's entry
    assert client.get("/api/v1/incidents/").status_code == 403
