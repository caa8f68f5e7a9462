import pytest


@pytest.mark.parametrize("path", ["/desk/", "/desk/incidents/", "/desk/incidents/new/"])
def test_requester_gets_403_on_the_desk(requester_client, path):
    response = requester_client.get(path)
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


def test_requester_cannot_post_desk_actions(requester_client, incident):
    response = requester_client.post(f"/desk/incidents/{incident.number}/actions/start/")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.state == "new"


def test_anonymous_is_sent_to_login(make_client, tenant):
    client = make_client(tenant)
    for path in ("/", "/desk/incidents/", "/portal/", "/profile/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/"), path


def test_agents_may_view_the_portal(agent_client):
    assert agent_client.get("/portal/").status_code == 200


def test_root_routes_by_role(agent_client, requester_client):
    assert agent_client.get("/")["Location"] == "/desk/"
    assert requester_client.get("/")["Location"] == "/portal/"


def test_unknown_page_renders_product_404(agent_client):
    response = agent_client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content
