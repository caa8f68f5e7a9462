"""The desk pages that are problem management's own, and its card on the incident page."""

import re

import pytest

from incidents.models import Incident
from problems import links, services
from problems.models import Problem
from tests.factories import RequesterFactory, make_incident, make_problem, problem_to
from tickets.models import Category, TicketLink, TimelineEntry


@pytest.fixture
def printers(tenant):
    return Category.objects.create(name="Printers")


def test_create_problem_from_an_incident_is_prefilled_and_links_it(agent_client, agent, requester, printers):
    incident = make_incident(by=requester, title="Printer on floor 3 offline", category=printers, impact=2)
    page = agent_client.get(f"/desk/problems/new/?from={incident.number}")
    form = page.context["form"]
    assert (form.initial["title"], form.initial["category"], form.initial["impact"]) == (
        "Printer on floor 3 offline", printers.pk, 2)
    response = agent_client.post(f"/desk/problems/new/?from={incident.number}", {
        "requester": agent.pk, "title": "Printers drop off every morning", "impact": 2, "urgency": 2,
        "channel": "phone", "category": printers.pk})
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert [p.pk for p in links.problems_of(incident)] == [problem.pk]
    incident_page = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert problem.number in incident_page


def test_a_refused_create_from_an_incident_writes_no_problem_and_no_link(agent_client, requester):
    incident = make_incident(by=requester)
    response = agent_client.post(f"/desk/problems/new/?from={incident.number}", {"title": "", "impact": 2})
    assert response.status_code == 400
    assert not Problem.objects.exists() and not TicketLink.objects.exists()


def test_incident_page_shows_matching_known_errors_and_linked_workarounds(agent_client, agent, requester, printers):
    published = services.publish_known_error(
        make_problem(by=agent, title="Spooler hangs", category=printers, workaround="Restart the spooler."), by=agent)
    linked = make_problem(by=agent, title="Toner sensor", workaround="Shake the cartridge.")
    unrelated = services.publish_known_error(make_problem(by=agent, title="VPN", workaround="Reconnect."), by=agent)
    incident = make_incident(by=requester, category=printers)
    links.link(linked, incident, by=agent)
    card = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    card = card[card.index('id="problems-card"'):]
    card = card[:card.index("</section>")]
    assert "Restart the spooler." in card and "Shake the cartridge." in card and unrelated.number not in card
    assert f'action="/desk/known-errors/{published.number}/apply/"' in card
    assert f"/desk/problems/new/?from={incident.number}" in card


def test_apply_workaround_from_the_incident_page(agent_client, agent, requester, printers):
    problem = services.publish_known_error(
        make_problem(by=agent, category=printers, workaround="Restart the spooler."), by=agent)
    incident = make_incident(by=requester, category=printers)
    response = agent_client.post(f"/desk/known-errors/{problem.number}/apply/",
                                 {"ticket": incident.number, "kind": "work_note"})
    assert response.status_code == 302 and response["Location"] == f"/desk/incidents/{incident.number}/"
    entry = TimelineEntry.objects.filter(ticket_id=incident.pk, ticket_type="incidents.incident").last()
    assert (entry.kind, entry.is_public) == ("work_note", False) and "Restart the spooler." in entry.body


def test_apply_workaround_refusals_write_nothing(agent_client, agent, requester):
    unpublished = make_problem(by=agent, workaround="Not for everyone yet")
    incident = make_incident(by=requester)
    before = TimelineEntry.objects.count()
    agent_client.post(f"/desk/known-errors/{unpublished.number}/apply/", {"ticket": incident.number})
    agent_client.post(f"/desk/known-errors/{unpublished.number}/apply/", {"ticket": "INC9999999"})
    assert agent_client.post("/desk/known-errors/PRB9999999/apply/", {"ticket": incident.number}).status_code == 404
    assert TimelineEntry.objects.count() == before


def test_publish_from_the_problem_page_and_the_known_error_list(agent_client, agent):
    problem = make_problem(by=agent, title="Spooler hangs", workaround="Restart the spooler.")
    without = make_problem(by=agent, title="No workaround yet")
    agent_client.post(f"/desk/problems/{without.number}/known-error/", {"publish": "1"})
    assert not Problem.objects.get(pk=without.pk).is_known_error
    agent_client.post(f"/desk/problems/{problem.number}/known-error/", {"publish": "1", "version": problem.version})
    assert Problem.objects.get(pk=problem.pk).is_known_error
    def rows(query=""):
        html = agent_client.get(f"/desk/known-errors/{query}").content.decode()
        return set(re.findall(r'class="ticket-link" href="[^"]+">(PRB\d+)<', html))

    assert rows() == {problem.number}
    assert rows("?q=spooler") == {problem.number}
    assert rows("?q=keyboard") == set()
    agent_client.post(f"/desk/problems/{problem.number}/known-error/", {"publish": "0"})
    assert not Problem.objects.get(pk=problem.pk).is_known_error


def test_resolving_from_the_desk_offers_to_resolve_the_linked_incidents(agent_client, agent, requester):
    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    incidents = [make_incident(by=requester, title=f"Printer {n}") for n in range(2)]
    for incident in incidents:
        links.link(problem, incident, by=agent)
    page = agent_client.get(f"/desk/problems/{problem.number}/").content.decode()
    assert 'name="resolve-resolve_incidents"' in page
    response = agent_client.post(f"/desk/problems/{problem.number}/actions/resolve/", {
        "resolve-version": Problem.objects.get(pk=problem.pk).version, "resolve-resolution_code": "fixed",
        "resolve-resolution_notes": "Lease raised", "resolve-resolve_incidents": "on",
        "resolve-incident_note": "Fixed with the DHCP change."})
    assert response.status_code == 302
    assert [i.state for i in Incident.objects.filter(pk__in=[i.pk for i in incidents])] == ["resolved", "resolved"]


def test_known_errors_and_problems_are_agents_only(make_client, tenant, agent):
    requester = RequesterFactory()
    client = make_client(tenant, requester)
    assert client.get("/desk/known-errors/").status_code == 403
    assert client.get("/desk/problems/").status_code == 403


def test_beta_cannot_see_or_apply_alphas_known_errors(make_client, tenant, other_tenant, in_other_tenant, agent):
    from django.db import connection

    from tests.factories import AgentFactory

    problem = services.publish_known_error(make_problem(by=agent, title="Alpha secret fix", workaround="Alpha"),
                                           by=agent)
    with in_other_tenant():
        beta_agent = AgentFactory()
        beta_incident = make_incident(by=beta_agent)
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    assert "Alpha secret fix" not in beta.get("/desk/known-errors/?q=secret").content.decode()
    assert beta.post(f"/desk/known-errors/{problem.number}/apply/",
                     {"ticket": beta_incident.number}).status_code in (302, 404)
    with in_other_tenant():
        assert not TimelineEntry.objects.filter(body__contains="Alpha").exists()
    connection.set_tenant(tenant)


def test_create_from_a_ticket_the_link_kind_does_not_fit_starts_blank_and_links_nothing(agent_client, agent):
    other = make_problem(by=agent, title="An unrelated problem")
    page = agent_client.get(f"/desk/problems/new/?from={other.number}")
    assert "title" not in page.context["form"].initial
    response = agent_client.post(f"/desk/problems/new/?from={other.number}", {
        "requester": agent.pk, "title": "A new problem", "impact": 3, "urgency": 3, "channel": "phone"})
    assert response.status_code == 302 and not TicketLink.objects.exists()


def test_incident_page_reads_its_links_once_for_the_links_and_problem_cards(agent_client, agent, requester):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problem = make_problem(by=agent, workaround="Restart the spooler.")
    incident = make_incident(by=requester)
    links.link(problem, incident, by=agent)
    with CaptureQueriesContext(connection) as queries:
        html = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "Restart the spooler." in html and "Problem of" not in html and "Has problem" in html
    # Once for the links card, the problem card and the edit form's parent number together.
    assert sum("tickets_ticketlink" in q["sql"] for q in queries.captured_queries) == 1


def test_publishing_with_a_stale_version_is_refused_and_says_why(agent_client, agent):
    problem = make_problem(by=agent, workaround="Restart the spooler.")
    stale = problem.version
    services.ticket_services.update_ticket(problem, by=agent, changes={"title": "Renamed meanwhile"})
    response = agent_client.post(f"/desk/problems/{problem.number}/known-error/", {"publish": "1", "version": stale},
                                 follow=True)
    assert not Problem.objects.get(pk=problem.pk).is_known_error
    assert "changed" in response.content.decode().lower()
