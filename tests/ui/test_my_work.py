""""My work": every open ticket of every type that is the agent's, most urgent first, at a constant query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import api_client
from tests.factories import AgentFactory, GroupFactory, make_incident, make_problem


@pytest.fixture
def work(tenant, agent, requester, group):
    other_group = GroupFactory()
    colleague = AgentFactory()
    group.members.add(colleague)
    return {
        "mine_p3": make_incident(by=requester, assignment_group=group, assignee=agent, title="Mine P3"),
        "mine_p1": make_incident(by=requester, assignment_group=group, assignee=agent, impact=1, urgency=1,
                                 title="Mine P1"),
        "group_unassigned": make_incident(by=requester, assignment_group=group, title="Group unassigned"),
        "problem": make_problem(by=agent, assignment_group=group, impact=2, urgency=2, title="Group problem"),
        "other_group": make_incident(by=requester, assignment_group=other_group, title="Other group"),
        "someone_elses": make_incident(by=requester, assignment_group=group, assignee=colleague, title="Elsewhere"),
    }


def rows(response) -> list[str]:
    return re.findall(r'class="ticket-link" href="[^"]+">([A-Z]+\d+)<', response.content.decode())


def test_my_work_lists_every_type_assigned_to_me_or_unassigned_in_my_groups(make_client, tenant, agent, work):
    response = make_client(tenant, agent).get("/desk/my-work/")
    assert response.status_code == 200
    listed = rows(response)
    assert listed[0] == work["mine_p1"].number  # P1 first
    assert {work["mine_p3"].number, work["group_unassigned"].number, work["problem"].number} <= set(listed)
    assert work["other_group"].number not in listed and work["someone_elses"].number not in listed
    counts = {item["ticket_type"].slug: item["total"] for item in response.context["counts"]}
    assert counts["problems"] == 1 and counts["incidents"] >= 3


def test_my_work_query_count_is_constant_in_the_rows(make_client, tenant, agent, requester, group):
    client = make_client(tenant, agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/desk/my-work/").status_code == 200
        return len(queries)

    make_incident(by=requester, assignment_group=group, assignee=agent)
    client.get("/desk/my-work/")  # the host's tenant is then cached (tenants.host_cache)
    few = count()
    for n in range(8):
        make_incident(by=requester, assignment_group=group, assignee=agent if n % 2 else None)
        make_problem(by=agent, assignment_group=group)
    assert count() == few


def test_my_work_api(tenant, agent, work):
    body = api_client(tenant, agent).get("/api/v1/my-work/").json()
    assert body["results"][0]["number"] == work["mine_p1"].number
    types_listed = {row["type"] for row in body["results"]}
    assert types_listed == {"incidents", "problems"}
    assert {c["type"]: c["total"] for c in body["counts"]}["problems"] == 1


def test_my_work_is_for_agents_and_per_tenant(tenant, other_tenant, in_other_tenant, requester, agent, work):
    assert api_client(tenant, requester).get("/api/v1/my-work/").status_code == 403
    with in_other_tenant():
        beta_agent = AgentFactory()
    body = api_client(other_tenant, beta_agent).get("/api/v1/my-work/").json()
    assert body["results"] == []


def test_my_work_api_refuses_bad_paging(tenant, agent, work):
    api = api_client(tenant, agent)
    for query, field in (("page=0", "page"), ("page=x", "page"), ("page_size=0", "page_size"),
                         ("page_size=null", "page_size"), ("page_size=500", "page_size")):
        response = api.get(f"/api/v1/my-work/?{query}")
        assert response.status_code == 400 and field in response.json()["fields"], query
    assert api.get("/api/v1/my-work/?page=99").status_code == 404
    assert len(api.get("/api/v1/my-work/?page_size=2").json()["results"]) == 2
