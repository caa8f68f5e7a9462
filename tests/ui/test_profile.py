from accounts.models import ApiToken, hash_token
from tests.factories import AgentFactory


def test_user_sets_own_time_zone(agent_client, agent):
    assert agent_client.get("/profile/").status_code == 200
    response = agent_client.post("/profile/", {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.time_zone == "Europe/Berlin"
    agent_client.post("/profile/", {"time_zone": ""})
    agent.refresh_from_db()
    assert agent.time_zone == ""


def test_unknown_time_zone_is_refused(requester_client, requester):
    response = requester_client.post("/profile/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert "time_zone" in response.context["form"].errors
    requester.refresh_from_db()
    assert requester.time_zone == ""


def test_profile_uses_layout_of_role(agent_client, requester_client):
    assert "base_desk.html" in [t.name for t in agent_client.get("/profile/").templates]
    assert "base_portal.html" in [t.name for t in requester_client.get("/profile/").templates]


def test_create_token_redirects_then_shows_key_once(agent_client, agent):
    response = agent_client.post("/profile/tokens/", {"name": "Monitoring"})
    assert response.status_code == 302 and response["Location"] == "/profile/tokens/"
    token = ApiToken.objects.get(user=agent)
    shown = agent_client.get("/profile/tokens/")
    key = shown.context["new_key"]
    assert token.key_hash == hash_token(key) and token.name == "Monitoring"
    assert key in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    # Reloading neither shows the key again nor creates another token.
    listing = agent_client.get("/profile/tokens/")
    assert key not in listing.content.decode() and token.prefix in listing.content.decode()
    assert "Monitoring" in listing.content.decode() and "no-store" not in listing.get("Cache-Control", "")
    assert ApiToken.objects.filter(user=agent).count() == 1


def test_new_key_is_shown_only_to_its_own_session(agent_client, agent, make_client, tenant):
    agent_client.post("/profile/tokens/", {"name": "Monitoring"})
    other_session = make_client(tenant, agent)
    assert other_session.get("/profile/tokens/").context["new_key"] is None
    assert agent_client.get("/profile/tokens/").context["new_key"]


def test_token_needs_a_name(agent_client, agent):
    response = agent_client.post("/profile/tokens/", {"name": "   "})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=agent).exists()


def test_revoke_own_token_only(agent_client, agent, tenant):
    from accounts.services import authenticate_token, create_api_token

    mine, key = create_api_token(user=agent, name="Mine")
    theirs, _ = create_api_token(user=AgentFactory(), name="Theirs")
    assert agent_client.post(f"/profile/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert agent_client.get(f"/profile/tokens/{mine.pk}/revoke/").status_code == 405
    assert agent_client.post(f"/profile/tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert authenticate_token(key) is None
