import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from assets import ci_sync, contracts, services
from assets.models import Asset, Contract
from cmdb.models import CI
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory

BASE = "/api/v1/assets/"


@pytest.fixture
def api(tenant, agent):
    return api_client(tenant, agent)


@pytest.mark.django_db
def test_create_read_and_patch_with_version(api, agent, requester):
    response = api.post(BASE, {"name": "Latitude 7440", "serial_number": "DL-1", "cost": 1200, "salvage_value": 0,
                               "useful_life_months": 36, "purchase_date": str(datetime.date.today()),
                               "lifecycle": "in_stock"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["asset_tag"], body["value_today"], body["warranty_status"], body["ci"]) == (
        "AST-000001", "1200.00", "none", None)
    assert body["actions"] == ["deploy", "retire"]
    url = f"{BASE}{body['id']}/"
    response = api.patch(url, {"location": "Lab", "version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2
    response = api.patch(url, {"location": "Office", "version": 1})
    assert response.status_code == 412 and error_of(response)["code"] == "stale_version"
    assert Asset.objects.get().location == "Lab"
    assert api.get(url)["ETag"] == '"2"'
    response = api.patch(url, {"location": "Office"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412 and "AST-000001" in error_of(response)["detail"]
    response = api.post(f"{url}transition/", {"action": "retire"}, HTTP_IF_MATCH='"2"')
    assert response.status_code == 200 and response["ETag"] == '"3"'
    response = api.patch(url, {"lifecycle": "deployed"})
    assert response.status_code == 400 and "lifecycle" in error_of(response)["fields"]


@pytest.mark.django_db
def test_bad_input_gets_field_errors(api, requester):
    response = api.post(BASE, {"name": "", "cost": "12", "useful_life_months": 0, "colour": "red"})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"colour"}
    response = api.post(BASE, {"name": "", "cost": -1, "useful_life_months": 0})
    assert set(error_of(response)["fields"]) >= {"name", "useful_life_months"}
    response = api.post(BASE, {"name": "x", "cost": 10, "salvage_value": 20})
    assert response.status_code == 400 and "salvage_value" in error_of(response)["fields"]
    response = api.post(BASE, {"name": "x", "lifecycle": "deployed"})
    assert response.status_code == 400 and "assigned_to" in error_of(response)["fields"]
    assert api.get(BASE, {"warranty_ending_within": "soon"}).status_code == 400
    assert api.get(BASE, {"lifecycle": "lost"}).status_code == 400
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_transition_and_ci_link_endpoints(api, agent, requester):
    asset = services.create_asset(by=agent, name="ThinkPad", lifecycle=Asset.Lifecycle.IN_STOCK)
    url = f"{BASE}{asset.pk}/"
    response = api.post(f"{url}transition/", {"action": "dispose"})
    assert response.status_code == 409 and error_of(response)["code"] == "invalid_transition"
    response = api.post(f"{url}transition/", {"action": "deploy"})
    assert response.status_code == 400 and "assigned_to" in error_of(response)["fields"]
    response = api.post(f"{url}transition/", {"action": "deploy", "assigned_to": requester.pk, "version": 1})
    assert response.status_code == 200 and response.json()["lifecycle"] == "deployed"
    response = api.post(f"{url}ci/", {"ci_class": "laptop-ish"})
    assert response.status_code == 400 and "ci_class" in error_of(response)["fields"]
    response = api.post(f"{url}ci/", {"ci_class": "end_user_device"})
    assert response.status_code == 200
    ci = response.json()["ci"]
    assert (ci["ci_class"], ci["status"]) == ("end_user_device", "live")
    assert CI.objects.get(pk=ci["id"]).owner_user == requester
    assert api.delete(f"{url}ci/").json()["ci"] is None


@pytest.mark.django_db
def test_list_filters_and_constant_queries(api, agent, requester):
    soon = datetime.date.today() + datetime.timedelta(days=10)
    for n in range(3):
        asset = services.create_asset(by=agent, name=f"Laptop {n}", serial_number=f"SN{n}", assigned_to=requester,
                                      location="Berlin", lifecycle=Asset.Lifecycle.DEPLOYED,
                                      warranty_end=soon if n == 0 else None)
        ci_sync.create_ci_for(asset, by=agent)
    services.create_asset(by=agent, name="Spare", kind=Asset.Kind.SOFTWARE)
    assert [a["name"] for a in api.get(BASE, {"warranty_ending_within": 30}).json()["results"]] == ["Laptop 0"]
    assert len(api.get(BASE, {"q": "sn1"}).json()["results"]) == 1
    assert len(api.get(BASE, {"lifecycle": ["deployed"], "assigned_to": requester.pk}).json()["results"]) == 3
    assert len(api.get(BASE, {"kind": "software"}).json()["results"]) == 1
    with CaptureQueriesContext(connection) as small:
        api.get(BASE, {"page_size": 1})
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(BASE).json()["results"]) == 4
    assert len(large) == len(small)


@pytest.mark.django_db
def test_contracts_api(api, agent):
    asset = services.create_asset(by=agent, name="Server")
    body = {"kind": "support", "number": "S-1", "vendor": "HPE", "starts_on": "2025-01-01", "ends_on": "2024-01-01",
            "assets": [asset.pk, 424242]}
    response = api.post(f"{BASE}contracts/", body)
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"ends_on", "assets"}
    response = api.post(f"{BASE}contracts/", {**body, "ends_on": "2027-01-01", "assets": [asset.pk]})
    assert response.status_code == 201 and response.json()["assets"][0]["asset_tag"] == asset.asset_tag
    contract_url = f"{BASE}contracts/{response.json()['id']}/"
    assert api.patch(contract_url, {"ends_on": "2027-06-30"}).json()["ends_on"] == "2027-06-30"
    assert api.get(f"{BASE}contracts/", {"ending_within": "x"}).status_code == 400


@pytest.mark.django_db
def test_requesters_are_refused(tenant, requester):
    assert api_client(tenant, requester).get(BASE).status_code == 403


@pytest.mark.django_db
def test_other_tenant_cannot_see_or_touch(tenant, agent, other_tenant):
    asset = services.create_asset(by=agent, name="alpha laptop")
    contract = contracts.create_contract(by=agent, kind="lease", number="L-1", vendor="Lease Co",
                                         starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2028, 1, 1),
                                         assets=[asset])
    with schema_context(other_tenant.schema_name):
        beta = api_client(other_tenant, AgentFactory())
    assert beta.get(BASE).json()["results"] == []
    assert beta.get(f"{BASE}{asset.pk}/").status_code == 404
    assert beta.patch(f"{BASE}{asset.pk}/", {"name": "beta was here"}).status_code == 404
    assert beta.post(f"{BASE}{asset.pk}/transition/", {"action": "receive"}).status_code == 404
    assert beta.get(f"{BASE}contracts/{contract.pk}/").status_code == 404
    back_to(tenant)
    assert Asset.objects.get().name == "alpha laptop" and Contract.objects.get().number == "L-1"
