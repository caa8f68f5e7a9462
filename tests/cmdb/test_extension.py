"""The "Affected CIs" card on ticket pages: add by search, remove, impacted services with paths, major incidents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import affected, services
from cmdb.models import AffectedCI, CIClass, RelationshipType
from tests.cmdb.chain import shop_chain
from tests.factories import AgentFactory, RequesterFactory, incident_beta_does_not_have, make_incident, make_problem, make_task
from tickets.models import TimelineEntry

PATH_TEXT = "lnx-db-01 → shop-db → ShopFront → Web Shop → Online Sales"


@pytest.fixture
def desk(tenant, agent, make_client):
    return make_client(tenant, agent)


def page(ticket, slug="incidents"):
    return f"/desk/{slug}/{ticket.number}/"


def test_the_incident_page_shows_affected_cis_and_the_services_they_take_down(desk, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    html = desk.get(page(incident)).content.decode()
    assert 'id="affected-cis"' in html and "No affected CIs named." in html

    response = desk.post(f"/desk/cmdb-links/{incident.number}/add/", {"ci": cis["lnx-db-01"].pk})
    assert response.status_code == 302 and response["Location"] == page(incident) + "#affected-cis"
    html = desk.get(page(incident)).content.decode()
    assert "lnx-db-01 is now an affected CI" in html
    assert 'data-testid="affected-ci"' in html and PATH_TEXT in html
    assert "named an affected CI" in html  # the timeline entry, headed for what it is
    assert 'data-testid="impacted-service-badge"' not in html  # badges are for major incidents

    desk.post(f"/desk/cmdb-links/{incident.number}/{cis['lnx-db-01'].pk}/remove/")
    html = desk.get(page(incident)).content.decode()
    assert "No affected CIs named." in html and "removed an affected CI" in html
    assert not AffectedCI.objects.exists()


def test_problems_and_tasks_show_the_card_too(desk, agent):
    cis = shop_chain(by=agent)
    for ticket, slug in ((make_problem(by=agent), "problems"), (make_task(by=agent), "tasks")):
        affected.add_affected(ticket, cis["shop-db"], by=agent)
        html = desk.get(page(ticket, slug)).content.decode()
        assert "shop-db → ShopFront → Web Shop → Online Sales" in html, slug


def test_a_major_incident_lists_every_service_it_takes_down_and_badges_them(desk, agent):
    server = services.create_ci(by=agent, name="core-db", ci_class=CIClass.objects.get(key="linux_server"))
    service_class, depends = CIClass.objects.get(key="business_service"), RelationshipType.objects.get(key="depends_on")
    for index in range(7):
        service = services.create_ci(by=agent, name=f"Service {index}", ci_class=service_class)
        services.add_relationship(by=agent, type=depends, source=service, target=server)
    incident = make_incident(by=agent)
    affected.add_affected(incident, server, by=agent)
    html = desk.get(page(incident)).content.decode()
    assert html.count('data-testid="impacted-service"') == 5 and "and 2 more" in html

    major = make_incident(by=agent, is_major=True)
    affected.add_affected(major, server, by=agent)
    html = desk.get(page(major)).content.decode()
    card = html.split('id="impacted-services-title"')[1].split("</section>")[0]
    assert card.count('data-testid="impacted-service"') == 7 and "more" not in card
    assert html.count('data-testid="impacted-service-badge"') == 7 and "Down: Service 6" in html


def test_lookup_finds_cis_not_yet_named_and_each_result_adds_itself(desk, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    affected.add_affected(incident, cis["shop-db"], by=agent)
    response = desk.get(f"/desk/cmdb-links/{incident.number}/lookup/", {"q": "SHOP"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "ShopFront" in html and "Web Shop" in html and "Online Sales" not in html and "<html" not in html
    assert f'value="{cis["shop-db"].pk}"' not in html  # named already
    assert f'value="{cis["ShopFront"].pk}"' in html and f"/desk/cmdb-links/{incident.number}/add/" in html
    assert "No CI matches" in desk.get(f"/desk/cmdb-links/{incident.number}/lookup/", {"q": "zzz"}).content.decode()


def test_desk_refusals_say_why_and_write_nothing(desk, agent):
    cis = shop_chain(by=agent)
    incident = make_incident(by=agent)
    affected.add_affected(incident, cis["shop-db"], by=agent)
    entries = TimelineEntry.objects.count()
    for data, message in (({"ci": cis["shop-db"].pk}, "already an affected CI"), ({"ci": "abc"}, "Choose a CI"),
                          ({"ci": 999999}, "Choose a CI")):
        desk.post(f"/desk/cmdb-links/{incident.number}/add/", data)
        assert message in desk.get(page(incident)).content.decode(), data
    assert TimelineEntry.objects.count() == entries and AffectedCI.objects.count() == 1
    assert desk.get(f"/desk/cmdb-links/{incident.number}/add/").status_code == 405
    assert desk.post(f"/desk/cmdb-links/{incident.number}/{cis['ShopFront'].pk}/remove/").status_code == 302
    assert AffectedCI.objects.count() == 1
    assert desk.post("/desk/cmdb-links/INC9999999/add/", {"ci": cis["ShopFront"].pk}).status_code == 404


def test_the_page_costs_the_same_however_many_cis_are_named(desk, agent):
    first, second = shop_chain(by=agent, prefix="a-"), shop_chain(by=agent, prefix="b-")
    incident = make_incident(by=agent)
    affected.add_affected(incident, first["lnx-db-01"], by=agent)
    desk.get(page(incident))
    counts = []
    for ci in (None, second["lnx-db-01"], second["Web Shop"]):
        if ci is not None:
            affected.add_affected(incident, ci, by=agent)
        with CaptureQueriesContext(connection) as queries:
            assert desk.get(page(incident)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_requesters_and_other_tenants_cannot_use_the_card(tenant, other_tenant, make_client, agent):
    cis = shop_chain(by=agent)
    incident = incident_beta_does_not_have(by=agent, other_tenant=other_tenant)
    requester = make_client(tenant, RequesterFactory())
    assert requester.post(f"/desk/cmdb-links/{incident.number}/add/", {"ci": cis["shop-db"].pk}).status_code == 403
    assert requester.get(f"/desk/cmdb-links/{incident.number}/lookup/", {"q": "shop"}).status_code == 403
    from django_tenants.utils import schema_context

    with schema_context(other_tenant.schema_name):
        beta = make_client(other_tenant, AgentFactory(email="beta-cmdb@example.test"))
    for response in (beta.post(f"/desk/cmdb-links/{incident.number}/add/", {"ci": cis["shop-db"].pk}),
                     beta.get(f"/desk/cmdb-links/{incident.number}/lookup/", {"q": "shop"}),
                     beta.post(f"/desk/cmdb-links/{incident.number}/{cis['shop-db'].pk}/remove/")):
        assert response.status_code == 404
    connection.set_tenant(tenant)
    assert not AffectedCI.objects.exists()
