"""The desk's links card: add and remove on any ticket's page, every refusal shown on the form."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from incidents.models import Incident
from tests.factories import AgentFactory, incident_beta_does_not_have, make_incident
from tickets.links import kinds
from tickets.links.services import link_tickets
from tickets.models import TicketLink, TimelineEntry


def page(incident):
    return f"/desk/incidents/{incident.number}/"


def add_url(ticket):
    return f"/desk/links/{ticket.number}/add/"


def remove_url(ticket, link_id):
    return f"/desk/links/{ticket.number}/{link_id}/remove/"


@pytest.fixture
def other(tenant, requester):
    return make_incident(by=requester, title="Whole floor offline")


def add_and_follow(client, ticket, data):
    """Post the add form; it redirects to the ticket's page (POST-redirect-GET), which shows the outcome."""
    response = client.post(add_url(ticket), data)
    assert response.status_code == 302 and response["Location"] == page(ticket) + "#links"
    return client.get(page(ticket))


def test_a_link_added_on_one_page_shows_on_both_with_its_timeline(agent_client, incident, other):
    response = add_and_follow(agent_client, incident, {"kind": "caused_by", "number": other.number.lower()})
    html = response.content.decode()
    assert f"{incident.number} is now caused by {other.number}." in html
    [shown] = response.context["ticket_links"]
    assert (shown.label, shown.other.number) == ("caused by", other.number)
    assert f'<a href="{page(other)}">{other.number}</a>' in html and "Whole floor offline" in html
    assert "linked a ticket" in html  # the timeline entry
    other_html = agent_client.get(page(other)).content.decode()
    assert f'<a href="{page(incident)}">{incident.number}</a>' in other_html
    assert "Causes" in other_html and "VPN refuses my password" in other_html
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK).count() == 2


def test_remove_takes_the_link_off_both_pages(agent_client, incident, other, agent):
    link = link_tickets(incident, other, "related", by=agent)
    response = agent_client.post(remove_url(other, link.pk))
    assert response.status_code == 302 and response["Location"] == page(other) + "#links"
    assert not TicketLink.objects.exists()
    assert agent_client.get(page(incident)).context["ticket_links"] == []
    assert "removed a link" in agent_client.get(page(other)).content.decode()


def test_removing_a_link_of_another_ticket_is_404(agent_client, incident, other, agent, requester):
    link = link_tickets(incident, other, "related", by=agent)
    third = make_incident(by=requester)
    assert agent_client.post(remove_url(third, link.pk)).status_code == 404
    assert agent_client.post(remove_url(incident, link.pk + 1000)).status_code == 404
    assert TicketLink.objects.count() == 1


def test_add_and_remove_are_post_only_and_for_known_numbers(agent_client, incident):
    assert agent_client.get(add_url(incident)).status_code == 405
    assert agent_client.post("/desk/links/INC9999999/add/", {"kind": "causes", "number": incident.number}).status_code == 404


@pytest.fixture
def problem_only_kind():
    """Fixes for problems: an incident may be the fix's side, never the problem's."""
    kind = kinds.register(kinds.LinkKind("fix_for", "fix for", "fixed by", target_types={"problems.problem"}))
    yield kind
    kinds.unregister(kind.name)


def test_the_form_offers_the_sides_this_type_may_stand_on(agent_client, incident, problem_only_kind):
    offered = [name for name, _ in agent_client.get(page(incident)).context["link_form"].fields["kind"].choices]
    assert offered == ["causes", "caused_by", "parent_of", "child_of", "duplicate_of", "duplicated_by",
                       "related_to", "has_problem", "fix_for"]


@pytest.mark.parametrize("case", ["itself", "unknown", "deleted", "duplicate", "duplicate_other_side",
                                  "kind_does_not_fit", "empty_number", "unknown_kind"])
def test_every_refusal_is_shown_on_the_form_and_writes_nothing(agent_client, incident, other, agent, requester,
                                                              case, problem_only_kind):
    deleted = make_incident(by=requester)
    Incident.objects.filter(pk=deleted.pk).delete()
    if case.startswith("duplicate"):
        link_tickets(incident, other, "causes", by=agent)
    data, field, message = {
        "itself": ({"kind": "related_to", "number": incident.number}, "number", "cannot be linked to itself"),
        "unknown": ({"kind": "related_to", "number": "INC9999999"}, "number", "There is no ticket INC9999999."),
        "deleted": ({"kind": "related_to", "number": deleted.number}, "number", f"There is no ticket {deleted.number}."),
        "duplicate": ({"kind": "causes", "number": other.number}, "number", "already linked"),
        "duplicate_other_side": ({"kind": "caused_by", "number": other.number}, "number", "already linked"),
        "kind_does_not_fit": ({"kind": "fix_for", "number": other.number}, "kind", "An incident cannot be fix for an incident."),
        "empty_number": ({"kind": "causes", "number": "  "}, "number", "This field is required."),
        "unknown_kind": ({"kind": "blocks", "number": other.number}, "kind", "Select a valid choice."),
    }[case]
    links_before, entries_before = TicketLink.objects.count(), TimelineEntry.objects.count()
    response = add_and_follow(agent_client, incident, data)
    form = response.context["link_form"]
    assert any(message in error for error in form.errors[field]), form.errors
    html = response.content.decode()
    assert f'id="link-{field}_error"' in html and f'aria-describedby="link-{field}_error"' in html
    assert form.data["number"] == data["number"]  # what the agent typed is kept
    assert (TicketLink.objects.count(), TimelineEntry.objects.count()) == (links_before, entries_before)
    # Shown once: the next visit has a fresh form.
    assert not agent_client.get(page(incident)).context["link_form"].is_bound


def test_requesters_cannot_add_or_remove_links(requester_client, incident, other, agent):
    link = link_tickets(incident, other, "related", by=agent)
    assert requester_client.post(add_url(incident), {"kind": "causes", "number": other.number}).status_code == 403
    assert requester_client.post(remove_url(incident, link.pk)).status_code == 403
    assert TicketLink.objects.count() == 1


def test_detail_page_queries_do_not_grow_with_links(agent_client, incident, agent, requester):
    counts = []
    for total in (1, 6):
        while TicketLink.objects.count() < total:
            link_tickets(incident, make_incident(by=requester), "parent", by=agent)
        agent_client.get(page(incident))
        with CaptureQueriesContext(connection) as queries:
            assert len(agent_client.get(page(incident)).context["ticket_links"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_other_tenant_cannot_list_add_or_remove_alphas_links(make_client, tenant, other_tenant, other, agent):
    with schema_context(other_tenant.schema_name):  # first, so that beta's numbers cannot reach alpha's below
        beta_agent = AgentFactory(email="beta-links-ui@example.test")
        beta_ticket = make_incident(by=beta_agent, title="Beta's own")
        beta = make_client(other_tenant, beta_agent)
    alpha_only = incident_beta_does_not_have(by=agent, other_tenant=other_tenant)
    link = link_tickets(alpha_only, other, "causes", by=agent)
    assert beta.get(page(alpha_only)).status_code == 404
    assert beta.post(add_url(alpha_only), {"kind": "causes", "number": beta_ticket.number}).status_code == 404
    assert beta.post(remove_url(alpha_only, link.pk)).status_code == 404
    response = beta.post(add_url(beta_ticket), {"kind": "related_to", "number": alpha_only.number})
    assert response.status_code == 302
    refused = beta.get(page(beta_ticket))
    assert f"There is no ticket {alpha_only.number}." in refused.content.decode()
    assert refused.context["ticket_links"] == []
    with schema_context(other_tenant.schema_name):
        assert not TicketLink.objects.exists()
    connection.set_tenant(tenant)
    assert TicketLink.objects.filter(pk=link.pk).exists()
