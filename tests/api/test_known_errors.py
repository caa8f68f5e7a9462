"""The known-error API and the problem's publish endpoint."""

from problems import services
from tests.api.helpers import api_client, error_of
from tests.factories import AgentFactory, make_problem


def test_publish_needs_a_workaround_then_lists_and_searches(tenant, agent):
    api = api_client(tenant, agent)
    without = make_problem(by=agent, title="No workaround")
    refused = api.post(f"/api/v1/problems/{without.number}/known-error/")
    assert refused.status_code == 400 and "workaround" in error_of(refused)["fields"]
    problem = make_problem(by=agent, title="Spooler hangs", workaround="Restart the spooler.")
    published = api.post(f"/api/v1/problems/{problem.number}/known-error/", HTTP_IF_MATCH=problem.etag)
    assert published.status_code == 200 and published.json()["is_known_error"] is True
    listed = api.get("/api/v1/known-errors/").json()["results"]
    assert [row["number"] for row in listed] == [problem.number]
    assert listed[0]["workaround"] == "Restart the spooler."
    assert api.get("/api/v1/known-errors/?q=spooler").json()["results"][0]["number"] == problem.number
    assert api.get("/api/v1/known-errors/?q=keyboard").json()["results"] == []
    assert api.get(f"/api/v1/known-errors/{problem.number.lower()}/").status_code == 200
    assert api.get(f"/api/v1/known-errors/{without.number}/").status_code == 404
    assert api.delete(f"/api/v1/problems/{problem.number}/known-error/").json()["is_known_error"] is False
    assert api.get("/api/v1/known-errors/").json()["results"] == []


def test_stale_if_match_on_publish_is_412(tenant, agent):
    problem = make_problem(by=agent, workaround="Restart")
    response = api_client(tenant, agent).post(f"/api/v1/problems/{problem.number}/known-error/", HTTP_IF_MATCH='"99"')
    assert response.status_code == 412


def test_requesters_get_403(tenant, requester, agent):
    problem = services.publish_known_error(make_problem(by=agent, workaround="Restart"), by=agent)
    api = api_client(tenant, requester)
    assert api.get("/api/v1/known-errors/").status_code == 403
    assert api.post("/api/v1/problems/", {"title": "From a requester"}).status_code == 403
    assert api.post(f"/api/v1/problems/{problem.number}/known-error/").status_code in (403, 404)


def test_beta_sees_none_of_alphas_known_errors(tenant, other_tenant, in_other_tenant, agent):
    services.publish_known_error(make_problem(by=agent, title="Alpha only", workaround="Restart"), by=agent)
    with in_other_tenant():
        beta_agent = AgentFactory()
    response = api_client(other_tenant, beta_agent).get("/api/v1/known-errors/")
    assert response.status_code == 200 and response.json()["results"] == []


def test_resolving_a_problem_through_the_api_may_resolve_its_linked_incidents(tenant, agent, requester):
    from incidents.models import Incident
    from problems import links
    from tests.factories import make_incident, problem_to

    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    incident = make_incident(by=requester)
    links.link(problem, incident, by=agent)
    api = api_client(tenant, agent)
    refused = api.post(f"/api/v1/problems/{problem.number}/actions/resolve/",
                       {"resolution_code": "fixed", "resolution_notes": "Done", "resolve_incidents": "maybe"})
    assert refused.status_code == 400 and "resolve_incidents" in error_of(refused)["fields"]
    response = api.post(f"/api/v1/problems/{problem.number}/actions/resolve/", {
        "resolution_code": "fixed", "resolution_notes": "Driver rolled back", "resolve_incidents": True,
        "incident_note": "Fixed with the problem."})
    assert response.status_code == 200 and response.json()["state"] == "resolved"
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.state, fresh.resolution_notes) == ("resolved", "Fixed with the problem.")
