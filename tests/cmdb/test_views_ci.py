"""The CI page: header, attributes by class, relationships read both ways, graph, impact, history, tickets."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmdb import queries, services
from cmdb.models import AffectedCI
from tests.cmdb import desk_estate
from tests.factories import AgentFactory, RequesterFactory

pytestmark = pytest.mark.django_db


def test_the_ci_page_shows_what_the_ci_is_and_what_it_touches(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    server = estate["server"]
    services.record_sighting(server, "scanner", timezone.now())
    services.record_sighting(server, "old-cmdb", timezone.now() - timedelta(days=queries.settings().stale_after_days + 1))
    page = make_client(tenant, agent).get(f"/desk/cmdb/{server.pk}/").content.decode()
    # The CSP allows no inline style or script.
    assert " style=" not in page and "<style" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    # Header: lineage root first; attributes grouped by the class that defines them, ancestors first.
    assert page.index("Hardware</a> › <a") < page.index("Server</a> › <a") < page.index("Linux Server")
    assert page.index(">Hardware</h3>") < page.index(">Server</h3>") < page.index(">Linux Server</h3>")
    assert "Debian" in page and "Dell" in page
    # Relationships read the right way from this CI.
    assert 'connects to</span> <a href="/desk/cmdb/%d/">core-sw-01' % estate["switch"].pk in page
    assert 'hosts</span> <a href="/desk/cmdb/%d/">shop-db' % estate["database"].pk in page
    # The stale marker is on the old source only.
    sightings = page[page.index('id="sightings"'):]
    assert sightings.count(">Stale</span>") == 1
    # Newest first: the fresh source, then the old one with its marker.
    assert sightings.index("scanner") < sightings.index("old-cmdb") < sightings.index(">Stale</span>")
    # Graph: an accessible SVG with every CI within depth 2 and labelled edges; a service is marked in text.
    graph = page[page.index('id="graph"'):page.index('id="relationships"')]
    assert 'role="group"' in graph and "<title id=\"graph-title\">" in graph
    for name in ("core-sw-01", "shop-db", "lnx-db-01"):
        assert name in graph
    assert "★ Shop" in graph  # two hops: hosts shop-db, which Shop uses
    assert ">Runs on</text>" in graph
    # Impact: the business service with its path, read from this CI.
    impact = page[page.index('id="impact"'):page.index('id="tickets"')]
    assert "Shop" in impact and "hosts" in impact and "used by" in impact
    assert impact.index("Business services") < impact.index("Other CIs")


def test_the_graph_depth_reloads_with_htmx(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    client = make_client(tenant, agent)
    fragment = client.get(f"/desk/cmdb/{estate['switch'].pk}/graph/?depth=3", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<section class="card" id="graph"') and "★ Shop" in fragment
    assert "★ Shop" not in client.get(f"/desk/cmdb/{estate['switch'].pk}/graph/?depth=2",
                                      HTTP_HX_REQUEST="true").content.decode()
    # Without htmx it is the full page at that depth; a bad depth falls back to the default.
    assert client.get(f"/desk/cmdb/{estate['switch'].pk}/graph/?depth=3")["Location"].endswith("?depth=3#graph")
    assert 'value="2" selected' in client.get(f"/desk/cmdb/{estate['switch'].pk}/graph/?depth=99",
                                              HTTP_HX_REQUEST="true").content.decode()


def test_the_graph_caps_its_nodes_and_counts_the_rest(tenant, agent):
    from cmdb import graph

    c, t = desk_estate.classes(), desk_estate.rel_types()
    server = services.create_ci(by=agent, name="host", ci_class=c["linux_server"])
    switch = services.create_ci(by=agent, name="switch", ci_class=c["network_device"])
    services.add_relationship(by=agent, type=t["connects_to"], source=server, target=switch)
    for index in range(5):
        app = services.create_ci(by=agent, name=f"app-{index}", ci_class=c["application"])
        services.add_relationship(by=agent, type=t["runs_on"], source=app, target=server)
    drawn = graph.build(server, depth=1, max_nodes=5)
    assert len(drawn.nodes) == 5 and drawn.hidden == 2
    by_name = {n.name: n for n in drawn.nodes}
    assert set(by_name) == {"host", "switch", "app-0", "app-1", "app-2"}
    # What the host needs to the left, what needs it to the right, in columns by signed depth.
    assert by_name["switch"].column == -1 and by_name["switch"].x < drawn.center.x < by_name["app-0"].x
    assert by_name["app-0"].y < by_name["app-1"].y < by_name["app-2"].y
    assert {(e.source.name, e.target.name, e.label) for e in drawn.edges} == {
        ("host", "switch", "Connects to"), ("app-0", "host", "Runs on"), ("app-1", "host", "Runs on"),
        ("app-2", "host", "Runs on")}


def test_the_impact_list_keeps_services_first_and_the_nearest(tenant, agent, make_client, monkeypatch):
    from cmdb import ci_page

    estate = desk_estate.build(agent)
    c, t = desk_estate.classes(), desk_estate.rel_types()
    for index in range(3):
        app = services.create_ci(by=agent, name=f"app-{index}", ci_class=c["application"])
        services.add_relationship(by=agent, type=t["runs_on"], source=app, target=estate["server"])
    monkeypatch.setattr(ci_page, "IMPACT_LIMIT", 2)
    page = make_client(tenant, agent).get(f"/desk/cmdb/{estate['switch'].pk}/").content.decode()
    impact = page[page.index('id="impact"'):page.index('id="tickets"')]
    assert "1 business service and 5 other CIs affected (the nearest 2 shown)." in impact
    # The service three hops away comes before the server one hop away; nothing further is listed.
    assert impact.index("<strong>Shop</strong>") < impact.index("<strong>lnx-db-01</strong>")
    assert "<strong>app-0</strong>" not in impact and "<strong>shop-db</strong>" not in impact
    path = impact[impact.index("<strong>Shop</strong>"):impact.index("Other CIs")]
    assert "connected from" in path and "hosts" in path and "used by" in path
    # The relationship lists are capped too (the server has five here).
    monkeypatch.setattr(ci_page, "RELATIONSHIP_LIMIT", 3)
    page = make_client(tenant, agent).get(f"/desk/cmdb/{estate['server'].pk}/").content.decode()
    listed = page[page.index('id="relationships"'):page.index("Add a relationship")]
    assert "Only the first 3 relationships are listed here." in listed and listed.count(">Remove</button>") == 3


def test_history_and_tickets_naming_the_ci(tenant, agent, make_client):
    from incidents import services as incident_services

    estate = desk_estate.build(agent)
    server = estate["server"]
    services.update_ci(server, by=agent, status="maintenance", attributes={"cpu_cores": 16}, merge_attributes=True)
    requester = RequesterFactory()
    closed = incident_services.create_incident(by=agent, requester=requester, title="Old outage")
    opened = incident_services.create_incident(by=agent, requester=requester, title="Disk full")
    for ticket in (closed, opened):
        AffectedCI.objects.create(ticket_type="incidents.incident", ticket_id=ticket.pk, ci=server)
    AffectedCI.objects.create(ticket_type="nowhere.gone", ticket_id=1, ci=server)
    AffectedCI.objects.create(ticket_type="cmdb.ci", ticket_id=server.pk, ci=server)  # no ticket type: left out
    _close(closed, agent)
    page = make_client(tenant, agent).get(f"/desk/cmdb/{server.pk}/").content.decode()
    history = page[page.index('id="history"'):]
    assert "In maintenance" in history and "cpu_cores" in history and "8" in history and "16" in history
    assert "lnx-db-01 <em>connects to</em> core-sw-01" in history
    tickets = page[page.index('id="tickets"'):page.index('id="history"')]
    assert tickets.index(opened.number) < tickets.index(closed.number)
    assert f'href="/desk/incidents/{opened.number}/"' in tickets


def _close(incident, agent):
    from tickets import services as ticket_services

    incident = ticket_services.transition(incident, "resolve", by=agent, fields={
        "resolution_code": "solved_remotely", "resolution_notes": "Done"})
    incident = ticket_services.transition(incident, "close", by=agent)
    assert not incident.is_open


def _page_queries(client, ci):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/desk/cmdb/{ci.pk}/").status_code == 200
    return len(captured)


def test_the_ci_page_runs_a_fixed_number_of_queries(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    queries.settings()
    client = make_client(tenant, agent)
    server = estate["server"]
    services.record_sighting(server, "scanner", timezone.now())
    client.get(f"/desk/cmdb/{server.pk}/")  # warm the session and per-process caches
    before = _page_queries(client, server)
    c, t = desk_estate.classes(), desk_estate.rel_types()
    for index in range(6):
        app = services.create_ci(by=agent, name=f"app-{index}", ci_class=c["application"])
        services.add_relationship(by=agent, type=t["runs_on"], source=app, target=server)
        services.record_sighting(server, f"source-{index}", timezone.now())
    assert _page_queries(client, server) == before
    # search path, session, user; the CI, its lineage and attribute definitions; relationship types; service
    # classes (2); relationships; settings and sightings; graph (up, down, nodes, edges); impact (walk, services,
    # CIs); history; affected tickets.
    assert before == 21


def test_requesters_and_other_tenants_cannot_open_a_ci(tenant, agent, make_client, other_tenant, in_other_tenant):
    estate = desk_estate.build(agent)
    pk = estate["server"].pk
    assert make_client(tenant, RequesterFactory()).get(f"/desk/cmdb/{pk}/").status_code == 403
    assert make_client(tenant).get(f"/desk/cmdb/{pk}/").status_code == 302
    relationship = estate["server"].outgoing.get()
    with in_other_tenant():
        client = make_client(other_tenant, AgentFactory())
        assert client.get(f"/desk/cmdb/{pk}/").status_code == 404
        assert client.get(f"/desk/cmdb/{pk}/edit/").status_code == 404
        assert client.post(f"/desk/cmdb/{pk}/edit/", {"name": "taken over"}).status_code == 404
        assert client.get(f"/desk/cmdb/{pk}/graph/", HTTP_HX_REQUEST="true").status_code == 404
        assert client.post(f"/desk/cmdb/{pk}/relationships/{relationship.pk}/remove/").status_code == 404
        assert client.post(f"/desk/cmdb/{pk}/relationships/", {"type": relationship.type_id, "direction": "outgoing",
                                                               "other": str(estate["shop"].pk)}).status_code == 404
    assert estate["server"].outgoing.count() == 1
    estate["server"].refresh_from_db()
    assert estate["server"].name == "lnx-db-01"


def test_names_in_impact_paths_and_relationship_lists_are_escaped(tenant, agent, make_client):
    """The impact paths and the relationship links are built in Python (cmdb_paths, cmdb.links), not by the
    template: names are still escaped and the links still point where reverse() would."""
    from django.urls import reverse

    estate = desk_estate.build(agent)
    c, t = desk_estate.classes(), desk_estate.rel_types()
    app = services.create_ci(by=agent, name="<i>odd</i> & app", ci_class=c["application"])
    relationship = services.add_relationship(by=agent, type=t["runs_on"], source=app, target=estate["server"])
    client = make_client(tenant, agent)
    page = client.get(f"/desk/cmdb/{estate['switch'].pk}/").content.decode()
    impact = page[page.index('id="impact"'):page.index('id="tickets"')]
    assert "<i>odd</i>" not in page and "&lt;i&gt;odd&lt;/i&gt; &amp; app" in impact
    server_url = reverse("cmdb:detail", args=[estate["server"].pk])
    assert f'<a href="{server_url}">lnx-db-01</a>' in impact  # a step of the path, linked
    page = client.get(server_url).content.decode()
    listed = page[page.index('id="relationships"'):page.index("Add a relationship")]
    assert f'<a href="{reverse("cmdb:detail", args=[app.pk])}">&lt;i&gt;odd&lt;/i&gt; &amp; app</a>' in listed
    remove = reverse("cmdb:relationship_remove", args=[estate["server"].pk, relationship.pk])
    assert f'action="{remove}"' in listed
