"""Incident API behaviour beyond the shared battery: roles, ids in the tenant, filters, paging."""

from django_tenants.utils import schema_context

from accounts.models import AssignmentGroup, User
from incidents import hierarchy, services
from incidents.models import Incident
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, GroupFactory, RequesterFactory, make_incident

URL = "/api/v1/incidents/"
RESOLVE = {"resolution_code": "solved_remotely", "resolution_notes": "Cleared the cache."}


def resolved_incident(agent, requester):
    incident = make_incident(by=requester)
    return services.transition_incident(incident, "resolve", by=agent, fields=RESOLVE)


def unused_id(model, other_schema) -> int:
    """An id neither tenant uses yet: ids are per schema and often coincide between tenants."""
    with schema_context(other_schema):
        theirs = set(model.objects.values_list("pk", flat=True))
    return max(theirs | set(model.objects.values_list("pk", flat=True)) | {0}) + 1000


# -- requesters ------------------------------------------------------------------------------------
def test_requester_lists_and_reads_only_their_own(tenant, agent, requester):
    mine = make_incident(by=requester)
    someone_else = make_incident(by=RequesterFactory())
    api = api_client(tenant, requester)
    numbers = [row["number"] for row in api.get(URL).json()["results"]]
    assert numbers == [mine.number]
    assert api.get(f"{URL}{mine.number}/").status_code == 200
    response = api.get(f"{URL}{someone_else.number}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_requester_creates_for_themselves_through_the_api_channel(tenant, requester):
    response = api_client(tenant, requester).post(URL, {"title": "Laptop will not boot", "impact": 1, "urgency": 1})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester"]["id"] == requester.pk
    assert body["channel"] == "api"
    assert body["priority"] == 1 and body["state"] == "new"
    assert [a["name"] for a in body["available_actions"]] == []


def test_requester_cannot_set_agent_only_fields(tenant, requester, agent, group):
    before = Incident.objects.count()
    response = api_client(tenant, requester).post(URL, {"title": "x", "requester": agent.pk, "assignee": agent.pk,
                                                        "assignment_group": group.pk, "is_major": True})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"requester", "assignee", "assignment_group", "is_major"}
    assert Incident.objects.count() == before


def test_requester_closes_and_reopens_own_resolved_incident(tenant, agent, requester):
    api = api_client(tenant, requester)
    incident = resolved_incident(agent, requester)
    detail = api.get(f"{URL}{incident.number}/").json()
    assert {a["name"] for a in detail["available_actions"]} == {"reopen", "close"}
    response = api.post(f"{URL}{incident.number}/actions/reopen/", {"comment": "Still broken."})
    assert response.status_code == 200 and response.json()["state"] == "in_progress"
    services.transition_incident(Incident.objects.get(pk=incident.pk), "resolve", by=agent, fields=RESOLVE)
    response = api.post(f"{URL}{incident.number}/actions/close/", {})
    assert response.status_code == 200 and response.json()["state"] == "closed"


def test_requester_cannot_take_agent_actions(tenant, agent, requester):
    incident = make_incident(by=requester)
    response = api_client(tenant, requester).post(f"{URL}{incident.number}/actions/start/", {})
    assert response.status_code == 403
    assert "not allowed" in error_of(response)["detail"]
    incident.refresh_from_db()
    assert incident.state == "new" and incident.version == 1


def test_requester_cannot_act_on_someone_elses_incident(tenant, agent, requester):
    incident = resolved_incident(agent, RequesterFactory())
    response = api_client(tenant, requester).post(f"{URL}{incident.number}/actions/close/", {})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.state == "resolved"


# -- agents and ids --------------------------------------------------------------------------------
def test_agent_sets_requester_group_and_assignee_by_id(tenant, agent, requester, group):
    response = api_client(tenant, agent).post(URL, {
        "title": "Mail queue stuck", "requester": requester.pk, "assignment_group": group.pk,
        "assignee": agent.pk, "channel": "phone", "is_major": True,
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requester"] == {"id": requester.pk, "name": str(requester)}
    assert body["assignment_group"] == {"id": group.pk, "name": group.name}
    assert body["assignee"]["id"] == agent.pk
    assert body["channel"] == "phone" and body["is_major"] is True


def test_assignee_outside_the_group_is_a_field_error(tenant, agent, requester):
    outsider_group = GroupFactory()
    incident = make_incident(by=requester)
    response = api_client(tenant, agent).patch(f"{URL}{incident.number}/",
                                               {"assignment_group": outsider_group.pk, "assignee": agent.pk})
    assert response.status_code == 400
    assert "assignee" in error_of(response)["fields"]
    incident.refresh_from_db()
    assert incident.assignee_id is None and incident.version == 1


def test_ids_from_another_tenant_are_field_errors(tenant, other_tenant, agent):
    user_id, group_id = unused_id(User, other_tenant.schema_name), unused_id(AssignmentGroup, other_tenant.schema_name)
    with schema_context(other_tenant.schema_name):
        RequesterFactory(id=user_id, email="beta-only-requester@example.test")
        beta_agent = AgentFactory(id=user_id + 1, email="beta-only-agent@example.test")
        GroupFactory(id=group_id, name="Beta only group").members.add(beta_agent)
    before = Incident.objects.count()
    response = api_client(tenant, agent).post(URL, {"title": "x", "requester": user_id, "assignee": user_id + 1,
                                                    "assignment_group": group_id})
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"requester", "assignee", "assignment_group"}
    assert "does not exist" in fields["requester"][0]
    assert Incident.objects.count() == before


def test_parent_is_set_by_number_and_an_unknown_number_is_a_field_error(tenant, agent, requester):
    parent = make_incident(by=requester, title="Parent outage")
    child = make_incident(by=requester)
    api = api_client(tenant, agent)
    response = api.patch(f"{URL}{child.number}/", {"parent": parent.number})
    assert response.status_code == 200 and response.json()["parent"] == parent.number
    # (No beta incident here: creating one would advance beta's number sequence, which is not rolled back.)
    response = api.patch(f"{URL}{child.number}/", {"parent": "INC9999999"})
    assert response.status_code == 400 and "parent" in error_of(response)["fields"]
    response = api.patch(f"{URL}{parent.number}/", {"parent": parent.number})
    assert response.status_code == 400 and "parent" in error_of(response)["fields"]
    assert hierarchy.parent_of(child).pk == parent.pk
    assert api.get(f"{URL}?parent={parent.number.lower()}").json()["results"][0]["number"] == child.number
    assert api.patch(f"{URL}{child.number}/", {"parent": None}).json()["parent"] is None


def test_patch_edit_records_priority_and_version(tenant, agent, requester):
    incident = make_incident(by=requester)
    response = api_client(tenant, agent).patch(f"{URL}{incident.number}/", {"impact": 1, "urgency": 1})
    assert response.status_code == 200
    assert response.json()["priority"] == 1 and response.json()["version"] == 2


def test_resolve_without_code_is_400_with_the_service_message(tenant, agent, requester):
    incident = make_incident(by=requester)
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/actions/resolve/",
                                              {"resolution_notes": "done", "resolution_code": ""})
    assert response.status_code == 400
    assert error_of(response)["fields"]["resolution_code"] == ["Resolution code is required to resolve."]
    incident.refresh_from_db()
    assert incident.state == "new"


def test_invalid_choice_in_an_action_body_is_400(tenant, agent, requester):
    incident = make_incident(by=requester)
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/actions/hold/", {"hold_reason": "lunch"})
    assert response.status_code == 400
    assert "hold_reason" in error_of(response)["fields"]


def test_resolving_a_parent_via_api_resolves_its_children(tenant, agent, requester):
    parent = make_incident(by=requester)
    child = make_incident(by=agent, requester=requester, parent=parent)
    response = api_client(tenant, agent).post(f"{URL}{parent.number}/actions/resolve/", RESOLVE)
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.state == "resolved" and child.resolution_code == "resolved_by_parent"


# -- list: filters and paging ------------------------------------------------------------------------
def test_filters_use_the_shared_filterset(tenant, agent, requester):
    started = services.transition_incident(make_incident(by=requester), "start", by=agent)
    make_incident(by=requester)
    api = api_client(tenant, agent)
    rows = api.get(URL, {"state": "in_progress"}).json()["results"]
    assert [row["number"] for row in rows] == [started.number]
    response = api.get(URL, {"state": "exploded"})
    assert response.status_code == 400 and "state" in error_of(response)["fields"]


def test_cursor_pages_walk_newest_first(tenant, agent, requester):
    created = [make_incident(by=requester).number for _ in range(5)]
    api = api_client(tenant, agent)
    first = api.get(URL, {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert [r["number"] for r in first["results"] + second["results"]] == list(reversed(created))
    assert second["next"] is None


def test_bad_page_size_is_400(tenant, agent):
    api = api_client(tenant, agent)
    for value in ("0", "201", "many"):
        response = api.get(URL, {"page_size": value})
        assert response.status_code == 400
        assert "page_size" in error_of(response)["fields"]
    assert api.get(URL, {"page_size": "200"}).status_code == 200
