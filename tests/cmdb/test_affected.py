"""Affected CIs on tickets: the services, the impacted business services with their paths, the API, isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import affected, services
from cmdb.models import CI, AffectedCI, CIClass
from core.exceptions import NotPermitted, ValidationFailed
from incidents.models import Incident
from tests.api.helpers import api_client, back_to, error_of
from tests.cmdb.chain import CHAIN, shop_chain
from tests.factories import AdminFactory, RequesterFactory, make_incident, make_problem, make_task
from tickets.models import TimelineEntry

PATH_TEXT = "lnx-db-01 → shop-db → ShopFront → Web Shop → Online Sales"


def timeline_kinds(ticket):
    return list(TimelineEntry.objects.filter(ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk)
                .order_by("id").values_list("kind", flat=True))


def test_naming_and_removing_an_affected_ci_records_it_on_the_ticket(tenant, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    server = cis["lnx-db-01"]
    row = affected.add_affected(incident, server, by=agent)
    assert (row.ticket_type, row.ticket_id, row.added_by) == ("incidents.incident", incident.pk, agent)
    entry = TimelineEntry.objects.filter(ticket_id=incident.pk, kind=TimelineEntry.Kind.LINK).get()
    assert entry.author == agent and not entry.is_public
    assert entry.data["ci"] == {"id": server.pk, "name": "lnx-db-01", "class": "linux_server"}
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1  # the detail's ETag moves
    assert [ci.name for ci in affected.affected_cis(incident)] == ["lnx-db-01"]
    [service] = affected.impacted_services(incident)
    assert service.ci.name == "Online Sales" and service.depth == 4 and service.path_text == PATH_TEXT
    assert service.via == ("runs_on", "depends_on", "depends_on", "depends_on")

    affected.remove_affected(incident, server, by=agent)
    assert not AffectedCI.objects.exists() and affected.impacted_services(incident) == []
    assert timeline_kinds(incident) == ["created", "link", "link"]


def test_an_affected_service_counts_itself_and_services_are_listed_once(tenant, agent):
    cis = shop_chain(by=agent)
    problem = make_problem(by=agent)
    for name in ("Online Sales", "shop-db", "lnx-db-01"):
        affected.add_affected(problem, cis[name], by=agent)
    [service] = affected.impacted_services(problem)
    assert service.depth == 0 and service.path_text == "Online Sales"
    assert [ci.name for ci in affected.affected_cis(problem)] == ["Online Sales", "shop-db", "lnx-db-01"]


@pytest.mark.parametrize("case", ["duplicate", "retired", "requester"])
def test_refusals_write_nothing(tenant, agent, case):
    server = services.create_ci(by=agent, name="web01", ci_class=CIClass.objects.get(key="linux_server"))
    task = make_task(by=agent)
    affected.add_affected(task, server, by=agent)
    if case == "retired":
        server, _ = services.update_ci(server, by=agent, status=CI.Status.RETIRED)
        AffectedCI.objects.all().delete()
    before = (AffectedCI.objects.count(), timeline_kinds(task), type(task).objects.get(pk=task.pk).version)
    by = RequesterFactory() if case == "requester" else agent
    with pytest.raises(NotPermitted if case == "requester" else ValidationFailed) as refused:
        affected.add_affected(task, server, by=by)
    if case != "requester":
        assert list(refused.value.fields) == ["ci"]
    assert (AffectedCI.objects.count(), timeline_kinds(task), type(task).objects.get(pk=task.pk).version) == before
    with pytest.raises(ValidationFailed):
        affected.remove_affected(make_task(by=agent), server, by=agent)


# -- the API --------------------------------------------------------------------------------------------

def test_affected_cis_through_the_api_and_on_the_incident_detail(tenant, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    api = api_client(tenant, agent)
    url = f"/api/v1/cmdb/tickets/{incident.number}/affected-cis/"
    detail_url = f"/api/v1/incidents/{incident.number}/"
    before = api.get(detail_url)
    assert before.json()["affected_cis"] == [] and before.json()["impacted_services"] == []

    added = api.post(url, {"ci": cis["lnx-db-01"].pk})
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["ticket"] == incident.number and [c["name"] for c in body["affected_cis"]] == ["lnx-db-01"]
    [service] = body["impacted_services"]
    assert service["ci"]["name"] == "Online Sales" and [s["name"] for s in service["path"]] == list(CHAIN)
    assert api.get(url).json() == body

    detail = api.get(detail_url)
    assert detail["ETag"] != before["ETag"]  # a client holding the old body is not told it is current
    assert api.get(detail_url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert detail.json()["affected_cis"] == body["affected_cis"]
    assert detail.json()["impacted_services"] == body["impacted_services"]
    assert detail.json()["affected_cis"][0]["url"].endswith(f"/api/v1/cmdb/cis/{cis['lnx-db-01'].pk}/")
    # An edit's response is the same full representation.
    edited = api.patch(detail_url, {"title": "Shop is down"}, HTTP_IF_MATCH=detail["ETag"])
    assert edited.status_code == 200 and edited.json()["impacted_services"] == body["impacted_services"]
    # The list stays as it was: no affected CIs in its rows.
    assert "affected_cis" not in api.get("/api/v1/incidents/").json()["results"][0]

    assert api.delete(f"{url}{cis['lnx-db-01'].pk}/").status_code == 204
    assert api.get(url).json()["affected_cis"] == []
    assert api.delete(f"{url}{cis['lnx-db-01'].pk}/").status_code == 404


def test_the_detail_costs_the_same_however_many_cis_are_affected(tenant, agent):
    first, second = shop_chain(by=agent, prefix="a-"), shop_chain(by=agent, prefix="b-")
    problem = make_problem(by=agent)
    api = api_client(tenant, agent)
    url = f"/api/v1/problems/{problem.number}/"
    affected.add_affected(problem, first["lnx-db-01"], by=agent)
    api.get(url)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url).json()["impacted_services"]) == 1
    for name in ("lnx-db-01", "shop-db", "Web Shop"):
        affected.add_affected(problem, second[name], by=agent)
    with CaptureQueriesContext(connection) as many:
        response = api.get(url).json()
    assert len(response["affected_cis"]) == 4 and len(response["impacted_services"]) == 2
    # search_path, the problem with its affected ids, the CIs, service classes (2), the walk, the path's CIs
    assert len(many) == len(one) <= 7


@pytest.mark.parametrize("body, field", [({"ci": 999999}, "ci"), ({"ci": "1"}, "ci"), ({}, "ci"),
                                         ({"ci": 1, "note": "x"}, "note"), ({"ci": "retired"}, "ci")])
def test_bad_affected_ci_input_is_400_and_writes_nothing(tenant, agent, body, field):
    retired = services.create_ci(by=agent, name="old", ci_class=CIClass.objects.get(key="linux_server"),
                                 status=CI.Status.RETIRED)
    if body.get("ci") == "retired":
        body = {"ci": retired.pk}
    incident = make_incident(by=agent)
    response = api_client(tenant, agent).post(f"/api/v1/cmdb/tickets/{incident.number}/affected-cis/", body)
    assert response.status_code == 400 and field in error_of(response)["fields"], response.content
    assert not AffectedCI.objects.exists() and timeline_kinds(incident) == ["created"]


def test_unknown_tickets_types_without_affected_cis_and_requesters_are_refused(tenant, agent):
    from tests.service_requests.factories import CatalogCategoryFactory  # noqa: F401 (the fixtures' module loads)
    from service_requests import services as request_services
    from service_requests.models import CatalogItem

    server = services.create_ci(by=agent, name="web01", ci_class=CIClass.objects.get(key="linux_server"))
    item = CatalogItem.objects.create(category=CatalogCategoryFactory(), name="Laptop", short_description="A laptop")
    order = request_services.submit_request(by=agent, title="Laptop", channel="phone",
                                            items=[request_services.OrderLine(catalog_item=item)])
    api = api_client(tenant, agent)
    for number in (order.number, "INC9999999", "nonsense"):
        response = api.post(f"/api/v1/cmdb/tickets/{number}/affected-cis/", {"ci": server.pk})
        assert response.status_code == 404, (number, response.content)
    incident = make_incident(by=agent)
    requester = api_client(tenant, RequesterFactory())
    assert requester.post(f"/api/v1/cmdb/tickets/{incident.number}/affected-cis/", {"ci": server.pk}).status_code == 403
    assert not AffectedCI.objects.exists()


def test_another_tenant_cannot_see_or_change_alphas_affected_cis(tenant, other_tenant, in_other_tenant, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    affected.add_affected(incident, cis["lnx-db-01"], by=agent)
    with in_other_tenant():
        stranger = AdminFactory()
        twin = make_incident(by=stranger)  # beta's own ticket may carry the same number
    client = api_client(other_tenant, stranger)
    url = f"/api/v1/cmdb/tickets/{incident.number}/affected-cis/"
    seen = client.get(url)
    removed = client.delete(f"{url}{cis['lnx-db-01'].pk}/")
    added = client.post(url, {"ci": cis["Online Sales"].pk})
    back_to(tenant)
    assert b"lnx-db-01" not in seen.content and b"Online Sales" not in seen.content
    if twin.number == incident.number:  # beta's own ticket, without affected CIs: alpha's CI ids are unknown there
        assert seen.json()["affected_cis"] == [] and added.status_code == 400
    else:
        assert seen.status_code == added.status_code == 404
    assert removed.status_code == 404
    assert list(AffectedCI.objects.values_list("ci__name", flat=True)) == ["lnx-db-01"]
    with in_other_tenant():
        assert not AffectedCI.objects.exists()


# -- demo -------------------------------------------------------------------------------------------------

def test_demo_names_the_database_server_on_one_open_incident_once(tenant, agent):
    from demo.affected import name_affected_demo_cis

    open_incident = make_incident(by=agent, title="Web shop orders time out at payment")
    assert name_affected_demo_cis(tenant) == 0  # no estate yet: nothing to name
    cis = shop_chain(by=agent)
    assert name_affected_demo_cis(tenant) == 1
    assert name_affected_demo_cis(tenant) == 0  # idempotent
    assert [ci.pk for ci in affected.affected_cis(open_incident)] == [cis["lnx-db-01"].pk]


def test_the_detail_hook_gives_the_same_bytes_on_the_fast_and_the_slow_path(tenant, agent, monkeypatch):
    """tickets.extensions' api_* hooks: the compiled detail (value rows) and the serializer's agree, and the schema
    documents the added fields on the detail only."""
    from drf_spectacular.generators import SchemaGenerator

    from tickets.api import base

    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    affected.add_affected(incident, cis["shop-db"], by=agent)
    api = api_client(tenant, agent)
    fast = api.get(f"/api/v1/incidents/{incident.number}/")
    with monkeypatch.context() as patched:
        patched.setattr(base, "compile_rows", lambda *args, **kwargs: None)
        slow = api.get(f"/api/v1/incidents/{incident.number}/")
    assert fast.content == slow.content and fast["ETag"] == slow["ETag"]
    assert fast.json()["impacted_services"][0]["ci"]["name"] == "Online Sales"
    components = SchemaGenerator(urlconf="itsm.urls_tenant").get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("IncidentDetail", "ProblemDetail", "TaskDetail"):
        assert {"affected_cis", "impacted_services"} <= set(components[name]["properties"]), name
    assert "affected_cis" not in components["Incident"]["properties"]
