"""The signed link in approval mail: GET never decides, POST decides once; forged, expired, reused or foreign links refused."""

from datetime import date, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from approvals import delegation, links, services
from approvals.models import ApprovalRequest
from tests.approvals.conftest import at, pending_requests
from tests.factories import RequesterFactory


@pytest.fixture
def waiting(ticket, employee, manager, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "manager", "name": "Line manager"}), by=employee)
    return pending_requests(approval)[0]


def url(token):
    return f"/approvals/link/{token}/"


def test_get_shows_the_decision_page_without_login_and_decides_nothing(tenant, waiting, manager, ticket, make_client):
    token = links.make_token(waiting, manager.pk)
    page = make_client(tenant).get(url(token))
    assert page.status_code == 200
    text = page.content.decode()
    assert ticket.number in text and "Line manager" in text and 'value="approve"' in text
    waiting.refresh_from_db()
    assert waiting.state == "pending"


def test_post_decides_once(tenant, waiting, manager, make_client):
    token = links.make_token(waiting, manager.pk)
    client = make_client(tenant)
    done = client.post(url(token), {"decision": "approve"})
    assert done.status_code == 200 and "You approved it." in done.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == "approved" and waiting.decisions.get().via == "email"
    again = client.post(url(token), {"decision": "reject", "comment": "Changed my mind"})
    assert again.status_code == 409 and "already been used" in again.content.decode()
    assert client.get(url(token)).status_code == 409


def test_reject_needs_a_reason_and_the_link_stays_usable(tenant, waiting, manager, make_client):
    token = links.make_token(waiting, manager.pk)
    refused = make_client(tenant).post(url(token), {"decision": "reject"})
    assert refused.status_code == 400 and "Give the reason for the rejection." in refused.content.decode()
    assert make_client(tenant).post(url(token), {"decision": "reject", "comment": "Too dear"}).status_code == 200
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "rejected"


def test_forged_and_tampered_links(tenant, waiting, manager, make_client):
    token = links.make_token(waiting, manager.pk)
    client = make_client(tenant)
    assert "not valid" in client.get(url(token[:-2] + "xx")).content.decode()
    other_salt = signing.dumps({"s": tenant.schema_name, "r": waiting.pk, "a": manager.pk, "st": waiting.stage_id,
                                "n": waiting.nonce}, salt="somewhere.else", compress=True)
    response = client.post(url(other_salt), {"decision": "approve"})
    assert response.status_code == 403 and "not valid" in response.content.decode()
    someone = RequesterFactory()
    for_someone = links.make_token(waiting, someone.pk)  # validly signed, but for a person who is not the approver
    assert "no longer yours" in client.post(url(for_someone), {"decision": "approve"}).content.decode()
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "pending"


def test_expired_links(tenant, waiting, manager, make_client, settings):
    token = links.make_token(waiting, manager.pk)
    with at(timezone.now() + timedelta(seconds=settings.APPROVAL_LINK_MAX_AGE + 60)):
        response = make_client(tenant).post(url(token), {"decision": "approve"})
    assert response.status_code == 403 and "expired" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "pending"


def test_a_link_from_another_tenant_is_refused(tenant, waiting, manager, other_tenant, make_client):
    token = links.make_token(waiting, manager.pk)
    response = make_client(other_tenant).post(url(token), {"decision": "approve"})
    tenant_now = tenant
    from django.db import connection

    connection.set_tenant(tenant_now)
    assert response.status_code == 403 and "another service desk" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=waiting.pk).state == "pending"


def test_a_link_for_a_stage_decided_meanwhile(tenant, waiting, manager, make_client):
    token = links.make_token(waiting, manager.pk)
    services.decide(waiting, by=manager, decision="approve", via="portal")
    assert make_client(tenant).post(url(token), {"decision": "approve"}).status_code == 409


def test_a_delegates_link_works_only_while_the_delegation_does(tenant, waiting, manager, make_client):
    deputy = RequesterFactory()
    delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 4))
    with at(date(2026, 12, 2)):
        token = links.make_token(waiting, deputy.pk)
        assert make_client(tenant).get(url(token)).status_code == 200
    with at(date(2026, 12, 5)):
        assert "no longer yours" in make_client(tenant).post(url(token), {"decision": "approve"}).content.decode()
    with at(date(2026, 12, 3)):
        assert make_client(tenant).post(url(token), {"decision": "approve"}).status_code == 200
    assert ApprovalRequest.objects.get(pk=waiting.pk).decisions.get().on_behalf_of == manager
