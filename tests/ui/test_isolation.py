"""Nothing of alpha's is reachable from beta's host through the desk, the portal or a session."""

from django.db import connection

from tests.factories import AgentFactory, RequesterFactory, make_incident


def test_alpha_session_is_not_valid_on_beta_host(make_client, tenant, other_tenant, agent):
    alpha = make_client(tenant, agent)
    assert alpha.get("/desk/incidents/").status_code == 200
    session_cookie = alpha.cookies["sessionid"].value
    beta = make_client(other_tenant)
    beta.cookies["sessionid"] = session_cookie
    response = beta.get("/desk/incidents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    connection.set_tenant(tenant)


def test_alpha_incident_number_is_404_on_beta(make_client, tenant, other_tenant, in_other_tenant, requester):
    incident = make_incident(by=requester, title="Alpha only secret")
    with in_other_tenant():
        beta_agent = AgentFactory()
        beta_requester = RequesterFactory()
    beta_desk = make_client(other_tenant)
    beta_portal = make_client(other_tenant)
    with in_other_tenant():
        beta_desk.force_login(beta_agent)
        beta_portal.force_login(beta_requester)
    assert beta_desk.get(f"/desk/incidents/{incident.number}/").status_code == 404
    assert beta_desk.post(f"/desk/incidents/{incident.number}/actions/start/").status_code == 404
    assert beta_desk.post(f"/desk/incidents/{incident.number}/comment/", {"body": "x"}).status_code == 404
    assert beta_portal.get(f"/portal/tickets/{incident.number}/").status_code == 404
    queue = beta_desk.get("/desk/incidents/?state=any").content.decode()
    assert incident.number not in queue and "Alpha only secret" not in queue
    connection.set_tenant(tenant)
    incident.refresh_from_db()
    assert incident.state == "new"


def test_beta_login_does_not_accept_alpha_credentials(make_client, tenant, other_tenant, agent):
    beta = make_client(other_tenant)
    response = beta.post("/login/", {"username": agent.email, "password": "correct horse battery staple"})
    assert response.status_code == 200 and "_auth_user_id" not in beta.session
    connection.set_tenant(tenant)


def test_search_on_beta_never_finds_alphas_incidents(make_client, tenant, other_tenant, in_other_tenant, requester):
    """Queue search and API search (same FilterSet) run in the host's schema only."""
    from accounts.services import create_api_token

    alpha_incident = make_incident(by=requester, title="Zebra printer meltdown")
    with in_other_tenant():
        beta_agent = AgentFactory()
        beta_own = make_incident(by=RequesterFactory(), title="Zebra scanner offline")
        _, key = create_api_token(user=beta_agent, name="search")
        desk = make_client(other_tenant, beta_agent)
    page = desk.get("/desk/incidents/?state=any&q=zebra").content.decode()
    assert "Zebra scanner offline" in page and "Zebra printer meltdown" not in page
    api = make_client(other_tenant).get("/api/v1/incidents/?q=zebra", HTTP_AUTHORIZATION=f"Token {key}")
    assert [row["number"] for row in api.json()["results"]] == [beta_own.number]
    connection.set_tenant(tenant)
