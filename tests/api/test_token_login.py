"""POST /api/v1/auth/token/: email + password for a new token, behind the sign-in page's rate limit."""

import pytest

from accounts.models import ApiToken, hash_token
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, RequesterFactory

URL = "/api/v1/auth/token/"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_cache(cache_of_its_own):
    """Counters start at zero: every test client comes from 127.0.0.1."""


@pytest.fixture
def limit(settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 3, "window_seconds": 600}
    return 3


def ask(tenant, email, password, *, name=None, remote_addr="127.0.0.1"):
    payload = {"email": email, "password": password, **({"name": name} if name is not None else {})}
    return api_client(tenant).post(URL, payload, format="json", REMOTE_ADDR=remote_addr)


def assert_rate_limited(response):
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    body = error_of(response)
    assert body["code"] == "rate_limited" and body["fields"] == {}
    assert body["detail"].startswith("Too many attempts.")


def test_the_right_password_gets_a_working_key_shown_once(tenant, requester):
    response = ask(tenant, requester.email.upper(), PASSWORD, name="Nightly export")
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "name", "prefix", "created_at", "last_used_at", "key"}
    assert created["name"] == "Nightly export" and created["key"].startswith(created["prefix"])
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(pk=created["id"])
    assert token.user == requester and token.key_hash == hash_token(created["key"])
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Token {created['key']}")
    assert client.get("/api/v1/incidents/").status_code == 200


def test_a_token_without_a_name_gets_the_default_name(tenant, agent):
    response = ask(tenant, agent.email, PASSWORD)
    assert response.status_code == 201 and response.json()["name"] == "API token"


@pytest.mark.parametrize("who", ["wrong password", "unknown email", "deactivated"])
def test_bad_credentials_are_401_and_create_nothing(tenant, who):
    user = AgentFactory(is_active=who != "deactivated")
    email = "nobody@example.test" if who == "unknown email" else user.email
    response = ask(tenant, email, "not it" if who == "wrong password" else PASSWORD)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = error_of(response)
    assert body["code"] == "invalid_credentials" and body["fields"] == {}
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("payload, field", [
    ({"password": PASSWORD}, "email"),
    ({"email": "a@b.c"}, "password"),
    ({"email": "a@b.c", "password": PASSWORD, "user": 1}, "user"),
    ({"email": "a@b.c", "password": PASSWORD, "name": "x" * 101}, "name"),
])
def test_invalid_input_is_400_with_the_field_and_uses_no_attempt(tenant, agent, limit, payload, field):
    for _ in range(limit + 1):
        response = api_client(tenant).post(URL, payload, format="json")
        assert response.status_code == 400 and field in error_of(response)["fields"]
    assert ask(tenant, agent.email, PASSWORD).status_code == 201


def test_over_the_limit_even_the_right_password_is_refused_with_429(tenant, agent, limit):
    for _ in range(limit):
        assert ask(tenant, agent.email, "wrong").status_code == 401
    assert_rate_limited(ask(tenant, agent.email, PASSWORD))
    assert not ApiToken.objects.filter(user=agent).exists()


def test_the_sign_in_page_and_the_endpoint_share_one_limit(tenant, agent, limit, make_client):
    for _ in range(limit):
        make_client(tenant).post("/login/", {"username": agent.email, "password": "wrong"})
    assert_rate_limited(ask(tenant, agent.email, PASSWORD))


def test_guessing_many_accounts_from_one_address_is_limited(tenant, limit):
    for n in range(limit):
        assert ask(tenant, f"guess{n}@example.test", "wrong").status_code == 401
    assert_rate_limited(ask(tenant, RequesterFactory().email, PASSWORD))


def test_a_success_resets_the_account_counter(tenant, agent, limit):
    for _ in range(limit - 1):
        ask(tenant, agent.email, "wrong", remote_addr="10.3.3.3")
    assert ask(tenant, agent.email, PASSWORD, remote_addr="10.3.3.4").status_code == 201
    for _ in range(limit - 1):
        assert ask(tenant, agent.email, "wrong", remote_addr="10.3.3.5").status_code == 401
    assert ask(tenant, agent.email, PASSWORD, remote_addr="10.3.3.6").status_code == 201


def test_locking_an_account_in_one_tenant_leaves_the_same_email_in_another_alone(
        tenant, other_tenant, in_other_tenant, agent, limit):
    with in_other_tenant():
        twin = AgentFactory(email=agent.email)
    for _ in range(limit):
        ask(tenant, agent.email, "wrong")
    assert_rate_limited(ask(tenant, agent.email, PASSWORD))
    response = ask(other_tenant, twin.email, PASSWORD)
    assert response.status_code == 201
    back_to(tenant)
    # The key is beta's: alpha does not know it.
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    assert client.get("/api/v1/incidents/").status_code == 401


def test_the_endpoint_ignores_a_session_and_needs_no_csrf(tenant, agent):
    client = api_client(tenant)
    client.force_login(AgentFactory())  # a session of someone else must not matter
    client.handler.enforce_csrf_checks = True
    response = client.post(URL, {"email": agent.email, "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert ApiToken.objects.get(pk=response.json()["id"]).user == agent


def test_openapi_documents_every_status_and_the_retry_after_header(tenant, agent):
    client = api_client(tenant, agent)
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    # 415: API bodies are JSON only (core.api.views.ApiViewMixin), documented by core.api.schema.
    assert set(operation["responses"]) == {"201", "400", "401", "403", "415", "429"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    # No security requirement here, and none inherited from the document's root: no key is needed.
    assert operation.get("security", []) == [] and "security" not in schema
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][request]["required"]) == {"email", "password"}
