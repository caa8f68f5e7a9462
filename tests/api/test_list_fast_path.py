"""The API list's cheap path: filters by id without a lookup query, orjson rendering, value rows per tenant."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from drf_orjson_renderer.renderers import ORJSONRenderer
from tests.api.helpers import api_client, back_to, error_of
from django_tenants.utils import schema_context

from tests.factories import AgentFactory, GroupFactory, make_incident

LIST = "/api/v1/incidents/"


def test_filter_by_group_id_makes_no_lookup_query(tenant, agent, group):
    make_incident(by=agent, assignment_group=group, title="In the group")
    make_incident(by=agent, title="Elsewhere")
    client = api_client(tenant, agent)
    client.get(LIST)  # warm up: token last-used stamp
    with CaptureQueriesContext(connection) as unfiltered:
        client.get(LIST)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(LIST, {"assignment_group": group.pk})
    assert [row["title"] for row in response.json()["results"]] == ["In the group"]
    assert len(filtered) == len(unfiltered)
    assert not [q for q in filtered.captured_queries if '"accounts_assignmentgroup"."id" =' in q["sql"]]


def test_an_id_that_names_nothing_lists_nothing(tenant, agent, group):
    make_incident(by=agent, assignment_group=group)
    client = api_client(tenant, agent)
    for name in ("assignment_group", "assignee", "requester", "category"):
        response = client.get(LIST, {name: 987654321})
        assert response.status_code == 200 and response.json()["results"] == [], name


@pytest.mark.parametrize("value", ["abc", "-3", "0", "1.5", "٣", str(2**63), " "])
def test_a_malformed_id_is_400_for_its_field(tenant, agent, value):
    response = api_client(tenant, agent).get(LIST, {"assignee": value})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["assignee"]


def test_an_id_is_read_in_the_callers_tenant_only(tenant, other_tenant, agent):
    """Ids are per schema: another tenant's group id filters this tenant's tickets, never shows that tenant's."""
    with schema_context(other_tenant.schema_name):
        beta_agent = AgentFactory()
        beta_group = GroupFactory(name="Beta team")
        make_incident(by=beta_agent, assignment_group=beta_group, title="Beta's secret")
    back_to(tenant)
    client = api_client(tenant, agent)
    for query in ({"assignment_group": beta_group.pk}, {"assignee": beta_agent.pk}, {"requester": beta_agent.pk}, {}):
        titles = [row["title"] for row in client.get(LIST, query).json()["results"]]
        assert "Beta's secret" not in titles


def test_orjson_renders_what_drfs_renderer_renders(tenant, agent, group):
    make_incident(by=agent, assignment_group=group, title="Ünïcode ☃ \"quoted\" <b>", description="Tab\tand\nnewline")
    response = api_client(tenant, agent).get(LIST)
    data = response.json()
    fast = ORJSONRenderer().render(data, "application/json")
    assert fast == response.content
    assert json.loads(fast) == json.loads(JSONRenderer().render(data, "application/json"))
    assert fast == JSONRenderer().render(data, "application/json")
    assert response["Content-Type"] == "application/json"


def test_the_filter_form_class_is_built_once_and_forms_do_not_share_fields(tenant, agent):
    from django.http import QueryDict

    from incidents.filters import IncidentFilter
    from incidents.models import Incident

    first = IncidentFilter(data=QueryDict("state=new"), queryset=Incident.objects.all())
    second = IncidentFilter(data=QueryDict("state=bogus"), queryset=Incident.objects.all())
    assert first.get_form_class() is second.get_form_class()
    assert first.form.fields["state"] is not second.form.fields["state"]
    assert first.is_valid() and not second.is_valid()
    first.form.fields["q"].label = "Changed here only"
    assert IncidentFilter(data={}, queryset=Incident.objects.all()).form.fields["q"].label != "Changed here only"


def test_the_schema_says_what_an_id_that_names_nothing_does(tenant, agent):
    schema = api_client(tenant, agent).get("/api/schema/", {"format": "json"}).json()
    for path in (LIST, "/api/v1/problems/"):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        for name in ("assignment_group", "assignee", "requester", "category"):
            description = parameters[name]["description"]
            assert "names no" in description and "lists nothing" in description and "400" in description, (path, name)


def test_each_filterset_has_its_own_filters_without_deep_copies_of_their_querysets(tenant, agent, group):
    """Filters are copied one level deep per instance: their own parent, shared querysets, method filters bound."""
    from django.http import QueryDict

    from incidents.filters import IncidentFilter
    from incidents.models import Incident

    make_incident(by=agent, assignment_group=group, title="Mine to see")
    first = IncidentFilter(data=QueryDict("q=Mine&open=true"), queryset=Incident.objects.all())
    second = IncidentFilter(data=QueryDict("q=nothing-matches"), queryset=Incident.objects.all())
    for name, filter_ in first.filters.items():
        assert filter_ is not second.filters[name] and filter_ is not IncidentFilter.base_filters[name]
        assert filter_.parent is first and second.filters[name].parent is second
    base_group = IncidentFilter.base_filters["assignment_group"]
    assert first.filters["assignment_group"].queryset is base_group.queryset  # not copied per request
    assert [i.title for i in first.qs] == ["Mine to see"]  # method filters run on their own filterset
    assert list(second.qs) == []
    assert first.filters["q"].filter.f is first.filters["q"]


def test_a_list_page_has_an_etag_of_its_bytes_and_304_while_unchanged(tenant, agent, requester):
    from incidents import services as incident_services

    make_incident(by=agent, requester=requester, title="Older")
    incident = make_incident(by=agent, requester=requester, title="Watched by a poller")
    agent_api, requester_api = api_client(tenant, agent), api_client(tenant, requester)
    first = agent_api.get(LIST)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"')
    again = agent_api.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    assert agent_api.get(LIST, HTTP_IF_NONE_MATCH=f'"stale", {etag}').status_code == 304  # a list of tags
    assert agent_api.get(LIST, {"page_size": 1}, HTTP_IF_NONE_MATCH=etag).status_code == 200  # other rows, a cursor
    # The requester sees other actions on the same ticket: other bytes, another tag.
    assert requester_api.get(LIST)["ETag"] != etag
    incident_services.update_incident(incident, by=agent, changes={"title": "Renamed"}, expected_version=None)
    changed = agent_api.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["results"][0]["title"] == "Renamed"


def test_an_error_page_of_the_list_has_no_etag(tenant, agent):
    response = api_client(tenant, agent).get(LIST, {"assignee": "abc"})
    assert response.status_code == 400 and "ETag" not in response


def test_a_list_etag_never_stands_for_another_tenants_page(tenant, other_tenant, agent, requester):
    make_incident(by=agent, requester=requester, title="Alpha's page")
    etag = api_client(tenant, agent).get(LIST)["ETag"]
    with schema_context(other_tenant.schema_name):
        beta_agent = AgentFactory()
        make_incident(by=beta_agent, title="Beta's page")
    back_to(tenant)
    beta = api_client(other_tenant, beta_agent).get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert beta.status_code == 200 and beta["ETag"] != etag
    assert [row["title"] for row in beta.json()["results"]] == ["Beta's page"]
