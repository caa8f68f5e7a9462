"""A suspended tenant's users and API clients get a clear 403; resuming restores access."""

import pytest

from tenants.services import resume_tenant, suspend_tenant


@pytest.fixture
def suspended(tenant):
    return suspend_tenant(tenant, reason="Invoice 42 unpaid")


def test_suspended_tenant_pages_show_a_clear_403(make_client, suspended, agent):
    client = make_client(suspended, agent)
    for path in ("/login/", "/desk/", "/portal/", "/"):
        response = client.get(path)
        assert response.status_code == 403, path
        html = response.content.decode()
        assert "The service desk for Alpha Ltd is suspended. Contact your service provider." in html
        assert "Invoice 42 unpaid" not in html  # the reason is the MSP's business
        assert response["Content-Security-Policy"]


def test_suspended_tenant_refuses_writes_too(make_client, suspended, agent):
    response = make_client(suspended, agent).post("/login/", {"username": agent.email, "password": "x"})
    assert response.status_code == 403


def test_suspended_tenant_api_answers_json_403(make_client, suspended, agent):
    client = make_client(suspended, agent)
    for path in ("/api/v1/incidents/", "/api/v1/tokens/", "/api/v1/nothing-here/"):
        response = client.get(path, HTTP_ACCEPT="application/json")
        assert response.status_code == 403, path
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "The service desk for Alpha Ltd is suspended. Contact your service provider.",
            "code": "tenant_suspended",
            "fields": {},
        }


def test_suspended_tenant_api_refuses_token_clients(suspended):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost", HTTP_AUTHORIZATION="Token whatever-key")
    response = client.post("/api/v1/incidents/", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "tenant_suspended"


def test_health_check_stays_reachable_on_a_suspended_tenant(make_client, suspended):
    response = make_client(suspended).get("/healthz")
    assert response.status_code in (200, 503)
    assert "checks" in response.json()


def test_other_tenants_are_not_affected(make_client, suspended, other_tenant):
    assert make_client(other_tenant).get("/login/").status_code == 200
    assert make_client(other_tenant).get("/api/v1/incidents/").status_code in (401, 403)
    assert "tenant_suspended" not in make_client(other_tenant).get("/api/v1/incidents/").content.decode()


def test_resuming_restores_pages_and_api(make_client, suspended, agent):
    client = make_client(suspended, agent)
    assert client.get("/login/").status_code == 403
    assert client.get("/api/v1/incidents/").status_code == 403
    resume_tenant(suspended)
    assert make_client(suspended).get("/login/").status_code == 200
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 200
    assert "tenant_suspended" not in response.content.decode()
