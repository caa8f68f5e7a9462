"""Personal API tokens: list, create (key shown once), revoke; only one's own."""

from accounts.models import ApiToken
from accounts.services import create_api_token
from tests.api.helpers import api_client, error_of
from tests.factories import AgentFactory

URL = "/api/v1/tokens/"


def test_create_returns_the_key_once_and_it_works(tenant, requester):
    api = api_client(tenant, requester, auth="session")
    response = api.post(URL, {"name": "Monitoring"})
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Monitoring" and created["key"].startswith(created["prefix"])
    listed = api.get(URL).json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "key" not in listed[0]
    fresh = api_client(tenant)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {created['key']}")
    assert fresh.get("/api/v1/incidents/").status_code == 200


def test_revoke_own_token_then_it_stops_working(tenant, agent):
    token, key = create_api_token(user=agent, name="CI")
    api = api_client(tenant, agent, auth="session")
    assert api.delete(f"{URL}{token.pk}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/incidents/").status_code == 401
    assert token.pk not in [t["id"] for t in api.get(URL).json()]
    assert api.delete(f"{URL}{token.pk}/").status_code == 404


def test_cannot_see_or_revoke_someone_elses_token(tenant, agent, requester):
    theirs, _ = create_api_token(user=AgentFactory(), name="theirs")
    api = api_client(tenant, requester, auth="session")
    assert theirs.pk not in [t["id"] for t in api.get(URL).json()]
    response = api.delete(f"{URL}{theirs.pk}/")
    assert response.status_code == 404
    error_of(response)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_create_refuses_unknown_fields_and_long_names(tenant, agent):
    api = api_client(tenant, agent, auth="session")
    before = ApiToken.objects.count()
    assert api.post(URL, {"name": "x", "user": 1}).status_code == 400
    response = api.post(URL, {"name": "x" * 101})
    assert response.status_code == 400 and "name" in error_of(response)["fields"]
    assert ApiToken.objects.count() == before


def test_tokens_need_authentication(tenant):
    assert api_client(tenant).get(URL).status_code == 401
