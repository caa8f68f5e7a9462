"""An API token's user from the shared cache (accounts.token_cache): no query when warm, never stale,
never another tenant's.

``django_capture_on_commit_callbacks(execute=True)`` stands for the commit of a change: what other
processes see from then on is what the cache holds, since this test's transaction never commits.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import token_cache
from accounts.models import ApiToken, User, hash_token
from accounts.services import create_api_token, revoke_api_token
from core import shared_cache
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory

URL = "/api/v1/incidents/"


def token_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "accounts_apitoken" in q["sql"]]


def domain_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "tenants_domain" in q["sql"]]


@pytest.fixture
def keyed(tenant, agent):
    """An API client with a fresh token of the agent's, and the token."""
    token, key = create_api_token(user=agent, name="cache tests")
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token, key


def call(client, path=URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, queries


def test_an_authenticated_get_on_a_warm_cache_has_no_domain_or_token_query(keyed):
    client, _, _ = keyed
    response, cold = call(client)
    assert response.status_code == 200
    assert len(domain_queries(cold)) == 1 and len(token_queries(cold)) == 2  # the lookup, the last-use stamp
    response, warm = call(client)
    assert response.status_code == 200
    assert domain_queries(warm) == [] and token_queries(warm) == []
    shared_cache.reset()
    token_cache.cache.bump(connection.schema_name)  # what a revoke elsewhere would do to this tenant's entries
    response, after = call(client)
    assert response.status_code == 200 and len(token_queries(after)) == 1 and domain_queries(after) == []


def test_the_cached_user_is_the_row_without_its_secrets(keyed, agent):
    client, _, key = keyed
    call(client)
    response, warm = call(client)
    assert token_queries(warm) == []
    user = response.wsgi_request.user
    assert user.pk == agent.pk and user.email == agent.email and user.role == agent.role and user.is_active
    assert user.get_deferred_fields() == {"password", "last_login"}
    cached, _ = token_cache.cache.fetch(connection.schema_name, hash_token(key))
    assert agent.password not in repr(cached) and "password" not in cached[3]


def test_a_key_of_one_tenant_is_refused_on_another_tenants_host(tenant, other_tenant, keyed):
    client, _, key = keyed
    call(client)
    assert call(client)[0].status_code == 200  # warm in alpha
    for _ in range(2):
        response = api_client(other_tenant)
        response.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        answer = response.get(URL)
        assert answer.status_code == 401 and error_of(answer)["code"] == "authentication_failed"
    back_to(tenant)


def test_an_entry_under_another_schemas_key_is_not_taken(tenant, other_tenant, keyed):
    """Even an alpha entry found under beta's key (a bug elsewhere, a hand-made key) names its schema: refused."""
    client, _, key = keyed
    call(client)
    entry, _ = token_cache.cache.fetch(tenant.schema_name, hash_token(key))
    assert entry[0] == (tenant.schema_name, tenant.pk)
    with schema_context(other_tenant.schema_name):
        _, generation = token_cache.cache.fetch(other_tenant.schema_name, hash_token(key))
        token_cache.cache.store(other_tenant.schema_name, hash_token(key), generation, entry)
    beta = api_client(other_tenant)
    beta.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert beta.get(URL).status_code == 401
    back_to(tenant)


def test_a_revoked_token_is_refused_with_the_next_request(keyed, django_capture_on_commit_callbacks):
    client, token, _ = keyed
    call(client)
    assert call(client)[0].status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        revoke_api_token(token=ApiToken.objects.get(pk=token.pk))
    response, queries = call(client)
    assert response.status_code == 401
    assert len(token_queries(queries)) == 1  # dropped on commit, not bypassed


def test_a_deleted_token_is_refused_with_the_next_request(keyed, django_capture_on_commit_callbacks):
    client, token, _ = keyed
    call(client)
    with django_capture_on_commit_callbacks(execute=True):
        ApiToken.objects.filter(pk=token.pk).delete()
    assert call(client)[0].status_code == 401


def test_a_deactivated_user_is_refused_with_the_next_request(keyed, agent, django_capture_on_commit_callbacks):
    client, _, _ = keyed
    call(client)
    with django_capture_on_commit_callbacks(execute=True):
        agent.is_active = False
        agent.save(update_fields=["is_active"])
    assert call(client)[0].status_code == 401


def test_a_new_role_applies_with_the_next_request(keyed, agent, django_capture_on_commit_callbacks):
    client, _, _ = keyed
    call(client)
    assert call(client)[0].wsgi_request.user.role == User.Role.AGENT
    with django_capture_on_commit_callbacks(execute=True):
        agent.role = User.Role.REQUESTER
        agent.save(update_fields=["role"])
    assert call(client)[0].wsgi_request.user.role == User.Role.REQUESTER


def test_inside_the_changing_transaction_the_cache_is_bypassed(keyed, agent):
    client, _, _ = keyed
    call(client)
    agent.is_active = False
    agent.save(update_fields=["is_active"])  # not committed: only this transaction sees it
    assert call(client)[0].status_code == 401


def test_new_tokens_and_logins_leave_the_cached_entries_alone(tenant, keyed, agent):
    client, _, _ = keyed
    call(client)
    create_api_token(user=agent, name="another")
    AgentFactory()
    api_client(tenant, agent, auth="session")  # signs in: last_login is stamped
    response, queries = call(client)
    assert response.status_code == 200 and token_queries(queries) == []


def test_last_use_is_stamped_at_most_once_a_minute(keyed, monkeypatch):
    client, token, _ = keyed
    call(client)
    stamped = ApiToken.objects.get(pk=token.pk).last_used_at
    assert stamped is not None
    for _ in range(3):
        response, queries = call(client)
        assert response.status_code == 200 and token_queries(queries) == []
    assert ApiToken.objects.get(pk=token.pk).last_used_at == stamped
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response, queries = call(client)
    assert [q for q in token_queries(queries) if q.startswith("UPDATE")] != []
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later
    response, queries = call(client)  # the entry carries the new stamp
    assert token_queries(queries) == []


def test_unknown_keys_are_not_cached(tenant):
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION="Token made-up-key")
    for _ in range(2):
        response, queries = call(client)
        assert response.status_code == 401 and len(token_queries(queries)) == 1
    assert token_cache.cache.fetch(tenant.schema_name, hash_token("made-up-key"))[0] is shared_cache.MISSING


def test_redis_down_falls_back_to_the_database(keyed, settings):
    client, _, _ = keyed
    settings.CACHES = {**settings.CACHES, "shared": {**settings.CACHES["shared"], "LOCATION": "redis://127.0.0.1:1/0"}}
    for _ in range(2):
        response, queries = call(client)
        assert response.status_code == 200 and len(token_queries(queries)) >= 1


def test_an_entry_of_another_tenant_row_under_the_same_schema_name_is_not_taken(tenant, keyed):
    """A tenant deleted and created again under its old name is another tenant: the first one's
    entries (planted here as if left behind) authenticate nobody on the second."""
    client, _, key = keyed
    call(client)
    (schema, _), *rest = token_cache.cache.fetch(tenant.schema_name, hash_token(key))[0]
    _, generation = token_cache.cache.fetch(tenant.schema_name, hash_token(key))
    token_cache.cache.store(tenant.schema_name, hash_token(key), generation, ((schema, tenant.pk + 1000), *rest))
    response, queries = call(client)
    assert response.status_code == 200 and len(token_queries(queries)) == 1  # from the database, not the entry


def test_deleting_a_tenant_drops_its_schemas_token_entries(tenant, other_tenant, django_capture_on_commit_callbacks):
    from tenants.models import Tenant

    with schema_context(other_tenant.schema_name):
        beta_agent = AgentFactory(email="beta-token-cache@example.test")
        _, key = create_api_token(user=beta_agent, name="beta")
    beta = api_client(other_tenant)
    beta.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert beta.get(URL).status_code == 200
    back_to(tenant)
    assert token_cache.cache.fetch(other_tenant.schema_name, hash_token(key))[0] is not shared_cache.MISSING
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        Tenant.objects.get(pk=other_tenant.pk).delete()  # the row only (auto_drop_schema is off)
    assert token_cache.cache.fetch(other_tenant.schema_name, hash_token(key))[0] is shared_cache.MISSING
