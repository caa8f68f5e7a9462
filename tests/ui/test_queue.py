import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from tests.factories import AgentFactory, GroupFactory, make_incident
from tickets.write_guard import direct_writes


def numbers(response) -> set[str]:
    page = response.context["page"]
    return {incident.number for incident in page.object_list}


@pytest.fixture
def queue_data(tenant, agent, group, requester):
    other_agent = AgentFactory(full_name="Other Agent")
    other_group = GroupFactory(name="Network")
    other_group.members.add(other_agent)
    mine = make_incident(by=requester, title="Mine in progress", assignment_group=group, assignee=agent, impact=1, urgency=1)
    services.transition_incident(mine, "start", by=agent)
    theirs = make_incident(by=requester, title="Network outage", assignment_group=other_group, assignee=other_agent,
                           impact=2, urgency=2, is_major=True)
    unassigned = make_incident(by=requester, title="Unassigned printer", impact=3, urgency=3)
    resolved = make_incident(by=requester, title="Already fixed printer", assignee=agent, assignment_group=group)
    services.transition_incident(resolved, "resolve", by=agent,
                                 fields={"resolution_code": "solved_remotely", "resolution_notes": "ok"})
    return {"mine": mine, "theirs": theirs, "unassigned": unassigned, "resolved": resolved,
            "other_agent": other_agent, "other_group": other_group}


def test_default_queue_shows_open_work_only(agent_client, queue_data):
    response = agent_client.get("/desk/incidents/")
    assert response.status_code == 200
    assert numbers(response) == {queue_data[k].number for k in ("mine", "theirs", "unassigned")}
    assert response.context["counters"] == {"open": 3, "mine": 1, "unassigned": 1, "major": 1, "critical": 1}


@pytest.mark.parametrize("query, expected", [
    ("state=in_progress", {"mine"}),
    ("state=resolved", {"resolved"}),
    ("state=any", {"mine", "theirs", "unassigned", "resolved"}),
    ("priority=1", {"mine"}),
    ("mine=true", {"mine"}),
    ("unassigned=true", {"unassigned"}),
    ("is_major=true", {"theirs"}),
    ("q=printer", {"unassigned"}),
    ("q=printer&state=any", {"unassigned", "resolved"}),
])
def test_each_filter_narrows(agent_client, queue_data, query, expected):
    response = agent_client.get(f"/desk/incidents/?{query}")
    assert numbers(response) == {queue_data[k].number for k in expected}


def test_group_and_assignee_filters(agent_client, queue_data, group):
    by_group = agent_client.get(f"/desk/incidents/?assignment_group={queue_data['other_group'].pk}")
    assert numbers(by_group) == {queue_data["theirs"].number}
    by_assignee = agent_client.get(f"/desk/incidents/?assignee={queue_data['other_agent'].pk}")
    assert numbers(by_assignee) == {queue_data["theirs"].number}


def test_search_by_number(agent_client, queue_data):
    response = agent_client.get(f"/desk/incidents/?q={queue_data['theirs'].number.lower()}")
    assert numbers(response) == {queue_data["theirs"].number}


def test_sort_is_whitelisted(agent_client, queue_data):
    by_number = agent_client.get("/desk/incidents/?sort=-number")
    listed = [i.number for i in by_number.context["page"].object_list]
    assert listed == sorted(listed, reverse=True)
    hostile = agent_client.get("/desk/incidents/?sort=requester__password")
    assert hostile.status_code == 200 and hostile.context["sort"] == "priority"
    assert [i.priority for i in hostile.context["page"].object_list] == sorted(i.priority for i in hostile.context["page"].object_list)


def test_rows_show_priority_requester_group_and_major_flag(agent_client, queue_data):
    html = agent_client.get("/desk/incidents/").content.decode()
    assert queue_data["theirs"].number in html and "Network outage" in html
    assert 'class="prio prio-3"' in html
    assert "tag-major" in html
    assert "Network" in html and "Other Agent" in html


def test_htmx_request_gets_rows_partial_only(agent_client, queue_data):
    response = agent_client.get("/desk/incidents/?mine=true", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "tickets/desk/_queue_rows.html"
    html = response.content.decode()
    assert "<html" not in html and "filterbar" not in html
    assert queue_data["mine"].number in html and queue_data["theirs"].number not in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_full_page(agent_client, queue_data):
    response = agent_client.get("/desk/incidents/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert b"<html" in response.content


def test_page_size_is_whitelisted_and_paginates(agent_client, tenant, requester):
    for n in range(30):
        make_incident(by=requester, title=f"Bulk {n}")
    assert len(agent_client.get("/desk/incidents/?per_page=25").context["page"].object_list) == 25
    assert len(agent_client.get("/desk/incidents/?per_page=50").context["page"].object_list) == 30
    assert agent_client.get("/desk/incidents/?per_page=7").context["page_size"] == 25
    second = agent_client.get("/desk/incidents/?per_page=25&page=2")
    assert len(second.context["page"].object_list) == 5


def test_queue_query_count_does_not_grow_with_page_size(agent_client, tenant, requester, group, agent):
    for n in range(60):
        make_incident(by=requester, title=f"Bulk {n}", assignment_group=group, assignee=agent if n % 2 else None)
    counts = []
    agent_client.get("/desk/incidents/")  # the host's tenant is then cached (tenants.host_cache)
    for size in (25, 50, 100):
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(f"/desk/incidents/?per_page={size}&state=any")
        assert len(response.context["page"].object_list) == min(size, 60)
        counts.append(len([q for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]))
    assert counts[0] == counts[1] == counts[2], counts
    # session, user, count, counters, groups, agents, rows, SLA clocks of the page
    assert counts[0] <= 8, counts


def test_times_are_shown_in_the_viewers_time_zone(make_client, tenant, requester):
    from incidents.models import Incident
    import datetime

    viewer = AgentFactory(time_zone="Asia/Tokyo")
    incident = make_incident(by=requester, title="Tokyo time")
    with direct_writes("test set-up: opened at a known moment"):
        Incident.objects.filter(pk=incident.pk).update(opened_at=datetime.datetime(2026, 1, 5, 23, 30, tzinfo=datetime.UTC))
    html = make_client(tenant, viewer).get("/desk/incidents/").content.decode()
    assert "06 Jan 08:30" in html


def test_default_queue_reuses_the_open_counter_as_its_count(agent_client, tenant, requester):
    for n in range(3):
        make_incident(by=requester, title=f"Open {n}")
    with CaptureQueriesContext(connection) as queries:
        default = agent_client.get("/desk/incidents/")
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    assert default.context["page"].paginator.count == default.context["counters"]["open"] == 3
    assert not any(s.startswith('SELECT COUNT(*) AS "__count" FROM "incidents_incident"') for s in sql)
    # Any other filter counts its own rows.
    filtered = agent_client.get("/desk/incidents/?q=Open 1")
    assert filtered.context["page"].paginator.count == 1 and filtered.context["counters"]["open"] == 3
    from tickets.models import Category

    category = agent_client.get(f"/desk/incidents/?category={Category.objects.first().pk}")
    assert category.context["page"].paginator.count == 0
