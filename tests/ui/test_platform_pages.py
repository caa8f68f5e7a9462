"""The platform's own desk and portal routes: search by number, search-as-you-type lookup, and the
portal's refusals for types requesters may not raise or actions they may not take."""

from django.db import connection

from tests.factories import AgentFactory, make_incident, make_problem


def test_top_bar_search_opens_an_exact_number_of_any_type_and_searches_words(agent_client, agent):
    problem = make_problem(by=agent, title="Printers drop off")
    response = agent_client.get(f"/desk/search/?q={problem.number.lower()}")
    assert response.status_code == 302 and response["Location"] == f"/desk/problems/{problem.number}/"
    response = agent_client.get("/desk/search/?q=printers")
    assert response.status_code == 302 and response["Location"] == "/desk/incidents/?q=printers"
    # A well-formed number nobody has is searched like words, not opened.
    assert agent_client.get("/desk/search/?q=PRB9999999")["Location"] == "/desk/incidents/?q=PRB9999999"


def test_lookup_offers_matching_tickets_of_its_type(agent_client, agent, requester):
    problem = make_problem(by=agent, title="Spooler hangs every morning")
    make_incident(by=requester, title="Spooler hangs on my laptop")
    html = agent_client.get("/desk/problems/lookup/?number=spooler").content.decode()
    assert f'<option value="{problem.number}">' in html and "INC" not in html
    assert agent_client.get("/desk/problems/lookup/?q=").content.decode().strip() == ""
    assert agent_client.get("/desk/nothing/lookup/?q=x").status_code == 404


def test_lookup_is_for_agents_and_per_tenant(make_client, tenant, other_tenant, in_other_tenant, agent, requester):
    make_problem(by=agent, title="Alpha only spooler problem")
    assert make_client(tenant, requester).get("/desk/problems/lookup/?q=spooler").status_code == 403
    with in_other_tenant():
        beta_agent = AgentFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    assert "Alpha only" not in beta.get("/desk/problems/lookup/?q=spooler").content.decode()
    connection.set_tenant(tenant)


def test_portal_refuses_raising_a_desk_only_type_and_unknown_actions(requester_client, requester, agent):
    assert requester_client.get("/portal/problems/new/").status_code == 404
    assert requester_client.post("/portal/problems/new/", {"title": "Let me in"}).status_code == 404
    incident = make_incident(by=requester)
    assert requester_client.post(f"/portal/tickets/{incident.number}/cancel/").status_code == 404  # agents only
    assert requester_client.post(f"/portal/tickets/{incident.number}/explode/").status_code == 404
    incident.refresh_from_db()
    assert incident.state == "new"
    problem = make_problem(by=agent, requester=requester)
    assert requester_client.get(f"/portal/tickets/{problem.number}/").status_code == 404
