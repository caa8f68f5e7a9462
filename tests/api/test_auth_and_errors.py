"""Authentication, the error format, suspended tenants and the OpenAPI schema."""

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from tenants.models import Tenant
from tests.api.helpers import api_client, error_of
from tests.factories import make_incident

URL = "/api/v1/incidents/"


@pytest.mark.parametrize("auth", ["token", "bearer", "session"])
def test_each_auth_scheme_works(tenant, agent, auth):
    assert api_client(tenant, agent, auth=auth).get(URL).status_code == 200


@pytest.mark.parametrize("header", ["Token not-a-real-key", "Bearer not-a-real-key", "Token", "Token a b"])
def test_invalid_token_is_401_json(tenant, header):
    client = api_client(tenant)
    response = client.get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_is_401(tenant):
    response = api_client(tenant).get(URL)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_token_of_an_inactive_user_is_refused(tenant, agent):
    client = api_client(tenant, agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert client.get(URL).status_code == 401


def test_malformed_json_is_400_with_a_clear_message(tenant, agent, requester):
    incident = make_incident(by=requester)
    api = api_client(tenant, agent)
    response = api.patch(f"{URL}{incident.number}/", '{"title": "x",', content_type="application/json")
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "parse_error" and "not valid JSON" in body["detail"]
    incident.refresh_from_db()
    assert incident.title == "Printer is on fire"


def test_json_that_is_not_an_object_is_400(tenant, agent):
    response = api_client(tenant, agent).post(URL, ["title"])
    assert response.status_code == 400
    assert "dictionary" in error_of(response)["detail"]


def test_unsupported_media_type_and_method_are_json_errors(tenant, agent, requester):
    incident = make_incident(by=requester)
    api = api_client(tenant, agent)
    response = api.post(URL, "title=x", content_type="text/plain")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"
    response = api.put(f"{URL}{incident.number}/", {"title": "x"})
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_suspended_tenant_gets_403_json(tenant, agent):
    client = api_client(tenant, agent)
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    try:
        response = client.get(URL)
    finally:
        Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.ACTIVE)
    assert response.status_code == 403
    assert response.json()["code"] == "tenant_suspended"
    assert client.get(URL).status_code == 200


def test_schema_is_served_and_valid(tenant):
    response = api_client(tenant).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    assert "/api/v1/incidents/{number}/actions/resolve/" in paths
    resolve = paths["/api/v1/incidents/{number}/actions/resolve/"]["post"]
    body = resolve["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["required"]) == {"resolution_code", "resolution_notes"}
    assert {"409", "412"} <= set(resolve["responses"])
    assert "/api/v1/tokens/{id}/" in paths


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn makes the command raise on any warning or validation error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert schema.startswith("openapi: 3.") and "/api/v1/incidents/{number}/actions/resolve/:" in schema
