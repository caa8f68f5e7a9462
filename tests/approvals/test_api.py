"""/api/v1/approvals/ and /api/v1/approval-chains/: mine by default, decide, refusals, chain validation, isolation."""

import pytest

from approvals import services
from approvals.models import ApprovalChainDefinition
from tests.api.helpers import api_client, back_to, error_of
from tests.approvals.conftest import pending_requests
from tests.factories import AdminFactory, AgentFactory, GroupFactory, RequesterFactory, make_incident


@pytest.fixture
def waiting(ticket, employee, manager, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "manager", "name": "Line manager"}), by=employee)
    return pending_requests(approval)[0]


def test_my_waiting_approvals_and_the_detail(tenant, waiting, manager, ticket):
    client = api_client(tenant, manager)
    body = client.get("/api/v1/approvals/").json()
    assert [r["id"] for r in body["results"]] == [waiting.pk]
    row = body["results"][0]
    assert row["ticket"] == {"number": ticket.number, "title": ticket.title, "type": "incidents.incident"}
    assert row["stage"] == {"order": 1, "name": "Line manager", "state": "pending"}
    detail = client.get(f"/api/v1/approvals/{waiting.pk}/").json()
    assert ["Ticket", ticket.number] == [detail["summary"][0]["label"], detail["summary"][0]["value"]]
    assert detail["stages"][0]["requests"][0]["approver"]["id"] == manager.pk
    assert client.get("/api/v1/approvals/?state=approved").json()["results"] == []
    assert error_of(client.get("/api/v1/approvals/?state=maybe"))["fields"]["state"]


def test_the_list_costs_the_same_for_one_row_or_many(tenant, manager, employee, make_chain, django_assert_num_queries):
    chain = make_chain({"kind": "manager"})
    client = api_client(tenant, manager)
    services.start_approval(make_incident(by=employee), chain, by=employee)
    client.get("/api/v1/approvals/")  # warm: token and tenant caches
    # auth token, delegations, the page of requests, the tickets of its one type
    with django_assert_num_queries(4, exact=False) as one:
        assert len(client.get("/api/v1/approvals/").json()["results"]) == 1
    for _ in range(5):
        services.start_approval(make_incident(by=employee), chain, by=employee)
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/approvals/").json()["results"]) == 6


def test_decide(tenant, waiting, manager):
    client = api_client(tenant, manager)
    response = client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "approve", "comment": "Fine"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    assert response.json()["stages"][0]["requests"][0]["decisions"][0]["via"] == "api"
    again = client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "approve"})
    assert again.status_code == 409 and "already approved" in error_of(again)["detail"]


def test_decide_refusals(tenant, waiting, manager, employee):
    client = api_client(tenant, manager)
    reject = client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "reject"})
    assert reject.status_code == 400 and error_of(reject)["fields"] == {"comment": ["Give the reason for the rejection."]}
    unknown = client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "approve", "via": "email"})
    assert unknown.status_code == 400 and error_of(unknown)["code"] == "invalid"
    # The requester sees nothing of another's request; an agent sees it but may not decide it.
    assert api_client(tenant, employee).get(f"/api/v1/approvals/{waiting.pk}/").status_code == 404
    assert api_client(tenant, employee).post(f"/api/v1/approvals/{waiting.pk}/decide/",
                                             {"decision": "approve"}).status_code == 404
    agent_client = api_client(tenant, AgentFactory())
    assert agent_client.get(f"/api/v1/approvals/{waiting.pk}/").status_code == 200
    refused = agent_client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "approve"})
    assert refused.status_code == 403 and error_of(refused)["detail"] == "This approval is not yours to decide."
    assert client.get("/api/v1/approvals/abc/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.state == "pending"


def test_another_tenant_sees_and_decides_nothing(tenant, waiting, manager, in_other_tenant, other_tenant):
    with in_other_tenant():
        stranger = AdminFactory()
    client = api_client(other_tenant, stranger)
    assert client.get("/api/v1/approvals/?state=all").json()["results"] == []
    back_to(tenant)
    # The ids may exist in beta too: beta's own rows, never alpha's.
    response = client.post(f"/api/v1/approvals/{waiting.pk}/decide/", {"decision": "approve"})
    back_to(tenant)
    assert response.status_code in (403, 404)
    waiting.refresh_from_db()
    assert waiting.state == "pending"


STAGE = {"order": 1, "name": "Manager", "kind": "manager"}


def test_tenant_admins_build_chains(tenant):
    admin = AdminFactory()
    finance = GroupFactory(name="Finance")
    finance.members.add(AgentFactory(), AgentFactory())
    client = api_client(tenant, admin)
    created = client.post("/api/v1/approval-chains/", {
        "name": "Laptops", "stages": [STAGE, {"order": 2, "name": "Finance", "kind": "rule", "group": finance.pk,
                                              "group_mode": "quorum", "quorum": 2,
                                              "rule_condition": {"fact": "price", "op": "gt", "value": 1000}}]})
    assert created.status_code == 201, created.content
    chain = created.json()
    assert [s["kind"] for s in chain["stages"]] == ["manager", "rule"]
    replaced = client.put(f"/api/v1/approval-chains/{chain['id']}/", {"name": "Laptops", "stages": [STAGE]})
    assert replaced.status_code == 200 and len(replaced.json()["stages"]) == 1
    assert [c["name"] for c in client.get("/api/v1/approval-chains/").json()] == ["Laptops"]
    assert client.get(f"/api/v1/approval-chains/{chain['id']}/").json()["name"] == "Laptops"


def test_bad_chains_get_field_errors_and_nothing_is_saved(tenant):
    client = api_client(tenant, AdminFactory())
    small = GroupFactory(name="Small")
    small.members.add(AgentFactory())
    response = client.post("/api/v1/approval-chains/", {"name": "Bad", "stages": [
        {"order": 1, "name": "U", "kind": "user"},
        {"order": 1, "name": "Q", "kind": "group", "group": small.pk, "group_mode": "quorum", "quorum": 3},
        {"order": 3, "name": "S", "kind": "manager", "skip_condition": {"fact": "x", "op": "between", "value": 1}},
        {"order": 4, "name": "N", "kind": "user", "user": 999999},
    ]})
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert "stages.3.user" in fields  # an unknown person, from the input's own check
    assert not ApprovalChainDefinition.objects.filter(name="Bad").exists()
    response = client.post("/api/v1/approval-chains/", {"name": "Bad", "stages": [
        {"order": 1, "name": "U", "kind": "user"},
        {"order": 1, "name": "Q", "kind": "group", "group": small.pk, "group_mode": "quorum", "quorum": 3},
        {"order": 3, "name": "S", "kind": "manager", "skip_condition": {"fact": "x", "op": "between", "value": 1}},
    ]})
    fields = error_of(response)["fields"]
    assert fields["stages.0.user"] == ["A user stage needs the person who approves."]
    assert fields["stages.1.order"] == ["Stage 1 already has the order 1."]
    assert fields["stages.1.quorum"] == ["A quorum of 3 is larger than the group Small (1 active members)."]
    assert fields["stages.2.skip_condition"][0].startswith("unknown op 'between'")
    assert not ApprovalChainDefinition.objects.filter(name="Bad").exists()
    assert error_of(client.post("/api/v1/approval-chains/", {"name": "X", "stages": [STAGE], "colour": 1}))[
        "code"] == "invalid"


def test_only_tenant_admins_see_chains(tenant, in_other_tenant, other_tenant):
    chain = ApprovalChainDefinition.objects.create(name="Secret chain")
    for person in (AgentFactory(), RequesterFactory()):
        assert api_client(tenant, person).get("/api/v1/approval-chains/").status_code == 403
        assert api_client(tenant, person).post("/api/v1/approval-chains/", {"name": "X", "stages": [STAGE]}
                                               ).status_code == 403
    with in_other_tenant():
        stranger = AdminFactory()
    client = api_client(other_tenant, stranger)
    assert b"Secret chain" not in client.get("/api/v1/approval-chains/").content
    back_to(tenant)
    assert client.put(f"/api/v1/approval-chains/{chain.pk}/", {"name": "Taken", "stages": [STAGE]}).status_code in (
        403, 404)
    back_to(tenant)
    chain.refresh_from_db()
    assert chain.name == "Secret chain"
