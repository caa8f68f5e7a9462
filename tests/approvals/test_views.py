"""Portal pages for approvers (who may be requesters), the desk card, out of office; isolation of each."""

from datetime import date

import pytest

from approvals import delegation, queries, services
from approvals.models import ApprovalRequest, OutOfOffice
from incidents.ticket_type import INCIDENT_TYPE
from tests.approvals.conftest import pending_requests
from tests.factories import AgentFactory, RequesterFactory, make_incident


@pytest.fixture
def waiting(ticket, employee, manager, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "manager", "name": "Line manager"}), by=employee)
    return pending_requests(approval)[0]


def test_the_portal_lists_what_waits_for_me(tenant, waiting, manager, ticket, make_client):
    page = make_client(tenant, manager).get("/portal/approvals/")
    assert page.status_code == 200
    assert ticket.number in page.content.decode()
    assert ticket.number not in make_client(tenant, RequesterFactory()).get("/portal/approvals/").content.decode()


def test_a_requester_approver_decides_from_the_portal(tenant, waiting, manager, ticket, make_client):
    client = make_client(tenant, manager)
    page = client.get(f"/portal/approvals/{waiting.pk}/")
    assert page.status_code == 200 and ticket.title in page.content.decode()
    assert 'value="approve"' in page.content.decode()
    refused = client.post(f"/portal/approvals/{waiting.pk}/", {"decision": "reject"})
    assert refused.status_code == 400 and "Give the reason for the rejection." in refused.content.decode()
    done = client.post(f"/portal/approvals/{waiting.pk}/", {"decision": "info", "comment": "Which one?"}, follow=True)
    assert "Your question was sent to the requester." in done.content.decode()
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "info"


def test_others_get_404_and_another_tenant_nothing(tenant, waiting, make_client, other_tenant, in_other_tenant):
    assert make_client(tenant, RequesterFactory()).get(f"/portal/approvals/{waiting.pk}/").status_code == 404
    assert make_client(tenant, RequesterFactory()).post(f"/portal/approvals/{waiting.pk}/",
                                                        {"decision": "approve"}).status_code == 404
    with in_other_tenant():
        stranger = AgentFactory()
        client = make_client(other_tenant, stranger)
        assert client.get(f"/portal/approvals/{waiting.pk}/").status_code == 404
        assert client.post(f"/desk/approvals/{waiting.pk}/decide/", {"decision": "approve"}).status_code == 404
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "pending"


def test_the_chain_for_display_is_two_queries(tenant, waiting, manager, ticket, django_assert_num_queries):
    services.decide(waiting, by=manager, decision="info", comment="Why?", via="portal")
    with django_assert_num_queries(2):  # the stages with their approval; the requests with their decisions
        view = queries.latest_chain(ticket)
        assert [d["decision"] for d in view.stages[0].request_list[0].decision_log] == ["info"]


@pytest.fixture
def with_card(monkeypatch):
    monkeypatch.setattr(INCIDENT_TYPE, "extensions", (*INCIDENT_TYPE.extensions, "approvals"))


def test_the_desk_card_shows_the_chain_and_buttons_for_a_pending_approver(tenant, employee, ticket, make_chain,
                                                                        make_client, with_card):
    approver = AgentFactory(full_name="Agnes Approver")
    approval = services.start_approval(ticket, make_chain({"kind": "user", "user": approver, "name": "IT approval"}),
                                       by=employee)
    [request] = pending_requests(approval)
    page = make_client(tenant, approver).get(f"/desk/incidents/{ticket.number}/").content.decode()
    assert "IT approval" in page and f'/desk/approvals/{request.pk}/decide/' in page
    other = make_client(tenant, AgentFactory()).get(f"/desk/incidents/{ticket.number}/").content.decode()
    assert "IT approval" in other and f'/desk/approvals/{request.pk}/decide/' not in other
    response = make_client(tenant, approver).post(f"/desk/approvals/{request.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == f"/desk/incidents/{ticket.number}/"
    assert ApprovalRequest.objects.get(pk=request.pk).state == "approved"
    page = make_client(tenant, approver).get(f"/desk/incidents/{ticket.number}/").content.decode()
    assert "Agnes Approver: approve" in page


def test_out_of_office_form(tenant, manager, make_client):
    deputy = RequesterFactory(full_name="Dee Deputy")
    client = make_client(tenant, manager)
    assert client.get("/portal/approvals/away/").status_code == 200
    response = client.post("/portal/approvals/away/", {"delegate": manager.pk, "starts_on": "2026-12-01",
                                                       "ends_on": "2026-12-05"})
    assert response.status_code == 400  # oneself is not even offered
    response = client.post("/portal/approvals/away/", {"delegate": deputy.pk, "starts_on": "2026-12-01",
                                                       "ends_on": "2026-12-05"})
    assert response.status_code == 302
    assert OutOfOffice.objects.get(user=manager).delegate == deputy
    delegation_loop = make_client(tenant, deputy).post("/portal/approvals/away/", {
        "delegate": manager.pk, "starts_on": "2026-12-03", "ends_on": "2026-12-09"})
    assert delegation_loop.status_code == 400 and "Delegation would loop" in delegation_loop.content.decode()
    assert client.post("/portal/approvals/away/", {"clear": "1"}).status_code == 302
    assert not OutOfOffice.objects.filter(user=manager).exists()
    assert delegation.acting_for(manager.pk, on=date(2026, 12, 2)) == []


def test_decisions_and_stage_changes_are_on_the_tickets_timeline(tenant, waiting, manager, ticket, agent, make_client):
    services.decide(waiting, by=manager, decision="reject", comment="Not this quarter", via="portal")
    page = make_client(tenant, agent).get(f"/desk/incidents/{ticket.number}/").content.decode()
    assert page.count('class="tag tag-approval">Approval</span>') >= 4  # requested, started, rejected, chain rejected
    assert "Maria Manager rejected stage 1, Line manager." in page and "Not this quarter" in page
    portal = make_client(tenant, ticket.requester).get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "Not this quarter" in portal  # the requester sees why


def test_the_portal_list_costs_the_same_for_one_row_or_many(tenant, manager, employee, make_chain, make_client,
                                                           django_assert_num_queries):
    chain = make_chain({"kind": "manager"})
    client = make_client(tenant, manager)
    services.start_approval(make_incident(by=employee), chain, by=employee)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/portal/approvals/")
    with CaptureQueriesContext(connection) as one:
        client.get("/portal/approvals/")
    for _ in range(4):
        services.start_approval(make_incident(by=employee), chain, by=employee)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get("/portal/approvals/").content.decode().count("/portal/approvals/") >= 5


def test_out_of_office_is_ones_own_in_ones_own_tenant(tenant, manager, make_client, other_tenant, in_other_tenant):
    from approvals import delegation as delegation_services

    deputy = RequesterFactory()
    delegation_services.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 1),
                                          ends_on=date(2026, 12, 5))
    with in_other_tenant():
        stranger = RequesterFactory()
        page = make_client(other_tenant, stranger).get("/portal/approvals/away/").content.decode()
        assert str(deputy) not in page and "You are away" not in page
        response = make_client(other_tenant, stranger).post("/portal/approvals/away/", {"clear": "1"})
        assert response.status_code == 302
    assert OutOfOffice.objects.filter(user=manager).exists()
