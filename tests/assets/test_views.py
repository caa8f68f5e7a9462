import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from assets import ci_sync, contracts, services
from assets.models import Asset, Contract
from tests.factories import AgentFactory

L = Asset.Lifecycle


@pytest.fixture
def desk(tenant, agent, make_client):
    return make_client(tenant, agent)


@pytest.mark.django_db
def test_list_filters_paginates_and_keeps_its_query_count(desk, agent, requester):
    for n in range(3):
        asset = services.create_asset(by=agent, name=f"Laptop {n}", serial_number=f"SN-{n}", assigned_to=requester,
                                      location="Berlin", lifecycle=L.DEPLOYED, cost="1000", purchase_date="2025-01-01")
        ci_sync.create_ci_for(asset, by=agent)
    services.create_asset(by=agent, name="Spare dock", warranty_end=datetime.date.today() + datetime.timedelta(days=5))
    page = desk.get("/desk/assets/")
    assert page.status_code == 200 and page.context["nav"] == "assets"
    assert b'aria-current="page">Assets</a>' in page.content and b"Laptop 2" in page.content
    assert [a.name for a in desk.get("/desk/assets/", {"warranty_ending_within": 30}).context["page"]] == ["Spare dock"]
    assert [a.name for a in desk.get("/desk/assets/", {"q": "sn-1"}).context["page"]] == ["Laptop 1"]
    assert len(desk.get("/desk/assets/", {"lifecycle": "deployed", "assigned_to": requester.pk}).context["page"]) == 3
    assert len(desk.get("/desk/assets/", {"location": "berl"}).context["page"]) == 3
    bad = desk.get("/desk/assets/", {"warranty_ending_within": "-2"})
    assert bad.status_code == 400 and b"Filters not applied" in bad.content
    rows = desk.get("/desk/assets/", HTTP_HX_REQUEST="true")
    assert b"<html" not in rows.content and b"Laptop 0" in rows.content
    with CaptureQueriesContext(connection) as few:
        desk.get("/desk/assets/", {"q": "Laptop 0"})
    with CaptureQueriesContext(connection) as many:
        desk.get("/desk/assets/")
    assert len(many) == len(few)


@pytest.mark.django_db
def test_create_and_edit_forms_show_errors(desk, agent):
    response = desk.post("/desk/assets/new/", {"name": "", "kind": "hardware", "lifecycle": "ordered",
                                               "useful_life_months": 36, "cost": "100", "salvage_value": "200"})
    assert response.status_code == 400 and response.context["form"].errors.keys() >= {"name"}
    response = desk.post("/desk/assets/new/", {"name": "Dock", "kind": "hardware", "lifecycle": "ordered",
                                               "useful_life_months": 36, "cost": "100", "salvage_value": "200"})
    assert response.status_code == 400 and "salvage_value" in response.context["form"].errors
    response = desk.post("/desk/assets/new/", {"name": "Dock", "kind": "hardware", "lifecycle": "ordered",
                                               "useful_life_months": 36, "cost": "100"})
    asset = Asset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/assets/{asset.pk}/"
    edit = {"name": "Dock 2", "kind": "hardware", "useful_life_months": 36, "version": 1}
    assert desk.post(f"/desk/assets/{asset.pk}/edit/", edit).status_code == 302
    stale = desk.post(f"/desk/assets/{asset.pk}/edit/", {**edit, "name": "Dock 3"})
    assert stale.status_code == 400 and b"meanwhile" in stale.content
    assert Asset.objects.get().name == "Dock 2"


@pytest.mark.django_db
def test_detail_shows_only_allowed_actions_and_runs_them(desk, agent, requester):
    asset = ci_sync.create_ci_for(services.create_asset(by=agent, name="Server", lifecycle=L.IN_STOCK, cost="1200",
                                                        purchase_date="2025-01-01"), by=agent)
    page = desk.get(f"/desk/assets/{asset.pk}/")
    assert page.status_code == 200
    assert [t.name for t in page.context["transitions"]] == ["deploy", "retire"]
    assert b"Receive into stock" not in page.content and b"Value today" in page.content
    assert b"Server" in page.content and b"Configuration item" in page.content
    refused = desk.post(f"/desk/assets/{asset.pk}/lifecycle/", {"action": "deploy", "version": asset.version})
    assert refused.status_code == 400 and b"needs an assigned user or a location" in refused.content
    wrong = desk.post(f"/desk/assets/{asset.pk}/lifecycle/", {"action": "dispose"})
    assert wrong.status_code == 409
    done = desk.post(f"/desk/assets/{asset.pk}/lifecycle/", {"action": "deploy", "assigned_to": requester.pk,
                                                             "version": asset.version})
    assert done.status_code == 302
    asset.refresh_from_db()
    assert (asset.lifecycle, asset.ci.status) == (L.DEPLOYED, "live")
    assert desk.post(f"/desk/assets/{asset.pk}/ci/", {"do": "link", "ci": 999999}).status_code == 400


@pytest.mark.django_db
def test_contract_pages(desk, agent):
    asset = services.create_asset(by=agent, name="Server")
    form = {"kind": "support", "number": "S-9", "vendor": "HPE", "starts_on": "2026-01-01", "ends_on": "2025-01-01",
            "renewal_notice_days": 30, "assets": [asset.pk]}
    response = desk.post("/desk/assets/contracts/new/", form)
    assert response.status_code == 400 and "ends_on" in response.context["form"].errors
    response = desk.post("/desk/assets/contracts/new/", {**form, "ends_on": "2027-01-01"})
    contract = Contract.objects.get()
    assert response.status_code == 302
    contracts.create_contract(by=agent, kind="lease", number="L-1", vendor="Lease Co",
                              starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2026, 6, 1))
    listing = desk.get("/desk/assets/contracts/")
    assert [c.number for c in listing.context["page"]] == ["L-1", "S-9"]  # ending soonest first
    detail = desk.get(f"/desk/assets/contracts/{contract.pk}/")
    assert detail.status_code == 200 and asset.asset_tag.encode() in detail.content
    response = desk.post(f"/desk/assets/contracts/{contract.pk}/edit/", {**form, "ends_on": "2027-01-01",
                                                                         "assets": [asset.pk, 999999]})
    assert response.status_code == 400 and "assets" in response.context["form"].errors
    assert desk.get(f"/desk/assets/{asset.pk}/").context["contracts"] == [contract]


@pytest.mark.django_db
def test_requesters_and_other_tenants_are_kept_out(tenant, agent, requester, make_client, other_tenant):
    asset = services.create_asset(by=agent, name="alpha asset")
    contract = contracts.create_contract(by=agent, kind="lease", number="L-1", vendor="V",
                                         starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2026, 6, 1))
    assert make_client(tenant, requester).get("/desk/assets/").status_code in (302, 403)
    with schema_context(other_tenant.schema_name):
        beta = make_client(other_tenant, AgentFactory())
    assert b"alpha asset" not in beta.get("/desk/assets/").content
    assert beta.get(f"/desk/assets/{asset.pk}/").status_code == 404
    assert beta.post(f"/desk/assets/{asset.pk}/lifecycle/", {"action": "receive"}).status_code == 404
    assert beta.get(f"/desk/assets/contracts/{contract.pk}/").status_code == 404
    assert beta.post(f"/desk/assets/contracts/{contract.pk}/edit/", {"number": "x"}).status_code == 404
    connection.set_tenant(tenant)
    assert Asset.objects.get().lifecycle == L.ORDERED


@pytest.mark.django_db
def test_asset_page_and_contract_list_do_not_grow_with_their_rows(desk, agent):
    asset = services.create_asset(by=agent, name="Dock", cost="100")
    start = datetime.date(2025, 1, 1)

    def contract(n):
        contracts.create_contract(by=agent, kind="support", number=f"S-{n}", vendor=f"V{n}", starts_on=start,
                                  ends_on=start + datetime.timedelta(days=400 + n), assets=[asset])

    contract(0)
    desk.get(f"/desk/assets/{asset.pk}/")  # the first request of a session reads what later ones have cached
    with CaptureQueriesContext(connection) as page_before:
        desk.get(f"/desk/assets/{asset.pk}/")
    with CaptureQueriesContext(connection) as list_before:
        desk.get("/desk/assets/contracts/")
    for n in range(1, 4):
        contract(n)
        asset, _ = services.update_asset(asset, by=agent, location=f"Shelf {n}")
    with CaptureQueriesContext(connection) as page_after:
        page = desk.get(f"/desk/assets/{asset.pk}/")
    with CaptureQueriesContext(connection) as list_after:
        listing = desk.get("/desk/assets/contracts/")
    assert len(page.context["history"]) == 4 and len(page.context["contracts"]) == 4
    assert len(listing.context["page"].object_list) == 4
    assert (len(page_after), len(list_after)) == (len(page_before), len(list_before))
