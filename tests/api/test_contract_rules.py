"""The refusals schemathesis found, pinned one by one (in process, fast), and what the schema says about them."""

import pytest
from rest_framework.relations import Hyperlink
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.api.views import ApiViewMixin
from tests.api.helpers import api_client, error_of
from tests.factories import make_incident

URL = "/api/v1/incidents/"


@pytest.fixture
def agent_api(tenant, agent):
    return api_client(tenant, agent)


@pytest.fixture
def schema(tenant):
    return api_client(tenant).get("/api/schema/", {"format": "json"}).json()


def test_api_views_send_header_values_as_exact_str():
    class LinkView(ApiViewMixin, APIView):
        permission_classes = []
        authentication_classes = []

        def get(self, request):
            response = Response({})
            response["Location"] = Hyperlink("http://acme.localhost/api/v1/incidents/INC0001001/", None)
            return response

    response = LinkView.as_view()(APIRequestFactory().get("/"))
    assert type(response["Location"]) is str
    assert response["Location"] == "http://acme.localhost/api/v1/incidents/INC0001001/"


@pytest.mark.parametrize("value", ["2026-03-06T16:30:00+20:00", "2026-03-06T16:30:00-23:59"])
def test_offsets_postgresql_cannot_store_are_compared_in_utc(tenant, agent_api, agent, value):
    incident = make_incident(by=agent)
    for name in ("opened_after", "opened_before"):
        response = agent_api.get(URL, {name: value})
        assert response.status_code == 200, response.json()
    assert incident.number in [row["number"] for row in agent_api.get(URL, {"opened_after": value}).json()["results"]]
    assert agent_api.get("/api/v1/sla/clocks/", {"breaching_before": value}).status_code == 200
    response = agent_api.get("/api/v1/sla/compliance/", {"start": value, "end": "2026-12-31"})
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("url, name", [
    (URL, "opened_after"), (URL, "opened_before"), ("/api/v1/sla/clocks/", "breaching_before"),
    ("/api/v1/sla/compliance/", "start"),
])
def test_instants_without_a_utc_value_are_400_for_their_field(tenant, agent_api, url, name):
    params = {name: "0001-01-01T00:00:00+01:00"}
    if name == "start":
        params["end"] = "2026-01-01"
    response = agent_api.get(url, params)
    assert response.status_code == 400
    assert error_of(response)["fields"][name] == ["Out of range: in UTC this instant is before year 1 or after year 9999."]


@pytest.mark.parametrize("value", ["maybe", "-58800", "1"])
def test_boolean_filters_refuse_what_is_not_true_or_false(tenant, agent_api, value):
    response = agent_api.get(URL, {"unassigned": value})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"unassigned": ["Use true or false."]}
    assert agent_api.get(URL, {"unassigned": "true"}).status_code == 200
    assert agent_api.get(URL, {"unassigned": ""}).status_code == 200


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unrouted_api_paths_are_json_404_for_every_method(tenant, agent_api, method):
    for path in ("/api/v1/nowhere/", "/api/v1/sla/policies/0.5/", "/api/v1/incidents/a%0Ab/attachments/1/"):
        response = getattr(agent_api, method)(path)
        assert response.status_code == 404, (method, path)
        assert error_of(response)["code"] == "not_found"


def test_unrouted_post_with_a_session_is_json_404_not_a_csrf_page(tenant, agent):
    client = api_client(tenant, agent, auth="session")
    client.enforce_csrf_checks = True
    response = client.post("/api/v1/nowhere/", {})
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("body, field", [
    ({"name": 0}, "name"), ({"name": ["a"]}, "name"), ({"name": None}, "name"),
])
def test_token_name_must_be_a_string(tenant, agent_api, body, field):
    response = agent_api.post("/api/v1/tokens/", body)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize("body, field", [
    ({"title": 5}, "title"), ({"title": "x", "impact": "1"}, "impact"), ({"title": "x", "impact": True}, "impact"),
    ({"title": "x", "is_major": "true"}, "is_major"), ({"title": "x", "category": "1"}, "category"),
])
def test_json_values_of_the_wrong_type_are_refused(tenant, agent_api, body, field):
    response = agent_api.post(URL, body)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {field}


@pytest.mark.parametrize("body", [[], "start", 1, True, [{"comment": "x"}]])
def test_action_bodies_must_be_objects(tenant, agent_api, agent, body):
    incident = make_incident(by=agent)
    response = agent_api.post(f"{URL}{incident.number}/actions/start/", body, format="json")
    assert response.status_code == 400 and error_of(response)["code"] == "invalid"
    incident.refresh_from_db()
    assert incident.state == "new"


def test_form_encoded_bodies_are_415(tenant, agent_api):
    response = agent_api.post(URL, {"title": "x"}, format="multipart")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("body", ["", "   "])
def test_blank_comments_are_refused(tenant, agent_api, agent, body):
    incident = make_incident(by=agent)
    response = agent_api.post(f"{URL}{incident.number}/comments/", {"body": body})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"body": ["Write a message or attach a file."]}


def test_patched_calendar_holidays_must_be_complete(tenant, admin_api_client):
    from sla.models import Calendar

    calendar = Calendar.objects.exclude(is_24x7=True).first() or Calendar.objects.create(name="Office", time_zone="UTC")
    response = admin_api_client.patch(f"/api/v1/sla/calendars/{calendar.pk}/", {"holidays": [{"date": "2026-12-25"}]})
    assert response.status_code == 400
    assert "holidays.0.name" in error_of(response)["fields"]


@pytest.fixture
def admin_api_client(tenant):
    from tests.factories import AdminFactory

    return api_client(tenant, AdminFactory())


def test_schema_states_unknown_fields_bounds_and_errors(schema):
    components = schema["components"]["schemas"]
    requests = [name for name in components if name.endswith("Request")]
    assert requests and all(components[name]["additionalProperties"] is False for name in requests)
    listing = schema["paths"][URL]["get"]
    page_size = next(p for p in listing["parameters"] if p["name"] == "page_size")
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 200)
    assert {"400", "401", "403", "404"} <= set(listing["responses"])  # 404: an unknown cursor
    patch = schema["paths"][f"{URL}{{number}}/"]["patch"]
    assert {"400", "401", "403", "404", "412", "415"} <= set(patch["responses"])
    assert patch["responses"]["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert list(patch["requestBody"]["content"]) == ["application/json"]
    channel = components["TimelineEntry"]["properties"]["channel"]
    enums = [components[ref["$ref"].rsplit("/", 1)[1]]["enum"] for ref in channel.get("oneOf", channel.get("anyOf", []))
             if "$ref" in ref]
    assert any("" in enum for enum in enums), channel
    compliance = schema["paths"]["/api/v1/sla/compliance/"]["get"]["responses"]["200"]
    assert compliance["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ComplianceReport"}
