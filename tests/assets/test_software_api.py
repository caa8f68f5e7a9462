"""/api/v1/assets/ for software: products, entitlements, installations, patches, patch states, compliance;
bad input refused with field messages, requesters kept out, and tenant B never sees or touches A's data."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from assets.models import Asset, Entitlement, Installation, Patch, PatchState, SoftwareProduct
from cmdb import services as cmdb
from cmdb.models import CIClass, RelationshipType
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, RequesterFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/assets"


@pytest.fixture
def api(tenant, agent):
    return api_client(tenant, agent)


def test_products_and_entitlements_crud_with_precise_errors(tenant, api):
    created = api.post(f"{BASE}/products/", {"vendor": "Adobe", "name": "Acrobat Pro"})
    assert created.status_code == 201, created.content
    product = created.json()
    assert error_of(api.post(f"{BASE}/products/", {"vendor": "ADOBE", "name": "acrobat pro"}))["fields"] == {
        "name": ["Adobe already has a product named “Acrobat Pro”."]}
    assert set(error_of(api.post(f"{BASE}/products/", {"vendor": "x", "name": "y", "colour": 1}))["fields"]) == {"colour"}
    assert api.patch(f"{BASE}/products/{product['id']}/", {"name": "Acrobat Pro DC"}).json()["name"] == "Acrobat Pro DC"

    body = {"product": product["id"], "metric": "subscription", "quantity": 10, "unit_cost": 12.5}
    assert set(error_of(api.post(f"{BASE}/entitlements/", body))["fields"]) == {"ends_on"}
    assert set(error_of(api.post(f"{BASE}/entitlements/", {**body, "quantity": "10"}))["fields"]) == {"quantity"}
    assert set(error_of(api.post(f"{BASE}/entitlements/", {**body, "quantity": 0, "ends_on": "2027-01-31",
                                                          "metric": "per_seat"}))["fields"]) == {"quantity", "metric"}
    assert set(error_of(api.post(f"{BASE}/entitlements/", {**body, "product": 99999, "ends_on": "2027-01-31"}))[
        "fields"]) == {"product"}
    made = api.post(f"{BASE}/entitlements/", {**body, "ends_on": "2027-01-31", "reference": "PO-1"})
    assert made.status_code == 201, made.content
    entitlement = made.json()
    assert entitlement["unit_cost"] == "12.50" and entitlement["product"]["name"] == "Acrobat Pro DC"
    changed = api.patch(f"{BASE}/entitlements/{entitlement['id']}/", {"quantity": 12})
    assert changed.status_code == 200 and changed.json()["quantity"] == 12 and changed.json()["reference"] == "PO-1"
    assert set(error_of(api.patch(f"{BASE}/entitlements/{entitlement['id']}/", {"ends_on": "2020-01-01",
                                                                              "starts_on": "2021-01-01"}))["fields"]) == {"ends_on"}
    assert api.get(f"{BASE}/entitlements/?product={product['id']}").json()["results"][0]["id"] == entitlement["id"]
    assert error_of(api.delete(f"{BASE}/products/{product['id']}/"))["code"] == "invalid"
    assert api.delete(f"{BASE}/entitlements/{entitlement['id']}/").status_code == 204
    assert api.delete(f"{BASE}/products/{product['id']}/").status_code == 204
    assert not SoftwareProduct.objects.exists()


def test_bulk_installations_and_licence_compliance(tenant, api):
    people = [RequesterFactory() for _ in range(3)]
    for n, person in enumerate(people):
        Asset.objects.create(asset_tag=f"LT-{n}", name=f"Laptop {n}", lifecycle="deployed", assigned_to=person)
    rows = [{"vendor": "Adobe", "product": "Acrobat Pro", "asset": f"LT-{n}"} for n in range(3)]
    rows.append({"vendor": "Adobe", "product": "Acrobat Pro", "asset": "LT-404", "cores": -2})
    report = api.post(f"{BASE}/installations/bulk/", {"rows": rows, "source": "intune"}).json()
    assert (report["created"], report["rejected"]) == (3, 1)
    assert report["rejections"] == [{"row": 4, "errors": {
        "cores": ["Must be a whole number from 1."], "asset": ["No asset with the tag, serial number or CI name “LT-404”."]}}]
    assert error_of(api.post(f"{BASE}/installations/bulk/", {"rows": []}))["fields"] == {
        "rows": ["This list may not be empty."]}
    assert "rows" in error_of(api.post(f"{BASE}/installations/bulk/", {"rows": "LT-1"}))["fields"]
    product = SoftwareProduct.objects.get()
    Entitlement.objects.create(product=product, metric="per_user", quantity=2, unit_cost="99.99")
    listed = api.get(f"{BASE}/installations/?product={product.pk}").json()["results"]
    assert len(listed) == 3 and {row["source"] for row in listed} == {"intune"}
    compliance = api.get(f"{BASE}/licence-compliance/?product={product.pk}").json()
    assert compliance == [{"product": {"id": product.pk, "vendor": "Adobe", "name": "Acrobat Pro"},
                           "status": "under_licensed", "shortfall_cost": "99.99", "shelfware_cost": "0.00",
                           "lines": [{"basis": "users", "entitled": 2, "consumed": 3, "gap": -1,
                                      "status": "under_licensed", "unit_cost": "99.9900", "gap_cost": "99.99",
                                      "estimated": 0}]}]
    assert "product" in error_of(api.get(f"{BASE}/licence-compliance/?product=abc"))["fields"]


def test_patches_patch_states_and_patch_compliance(tenant, api, agent):
    assert "released_on" in error_of(api.post(f"{BASE}/patches/", {
        "patch_id": "CVE-1", "product": "openssl", "severity": "critical",
        "released_on": (timezone.localdate() + timedelta(days=1)).isoformat()}))["fields"]
    assert "severity" in error_of(api.post(f"{BASE}/patches/", {"patch_id": "CVE-1", "product": "x",
                                                                "severity": "urgent"}))["fields"]
    assert api.post(f"{BASE}/patches/", {"patch_id": "CVE-1", "product": "openssl", "severity": "critical",
                                         "released_on": "2026-01-05"}).status_code == 201
    assert "patch_id" in error_of(api.post(f"{BASE}/patches/", {"patch_id": "cve-1", "product": "x",
                                                                "severity": "low"}))["fields"]
    service = cmdb.create_ci(by=agent, name="Online Sales", ci_class=CIClass.objects.get(key="business_service"))
    server = cmdb.create_ci(by=agent, name="lnx-db-01", ci_class=CIClass.objects.get(key="linux_server"), criticality=1)
    cmdb.add_relationship(by=agent, type=RelationshipType.objects.get(key="depends_on"), source=service, target=server)
    Asset.objects.create(asset_tag="SRV-1", name="DB", lifecycle="deployed", ci=server)
    report = api.post(f"{BASE}/patch-states/bulk/", {"rows": [
        {"patch_id": "CVE-1", "asset": "lnx-db-01", "state": "missing"},
        {"patch_id": "KB-2", "asset": "SRV-1", "state": "installed", "installed_on": "2026-01-02",
         "product": "Linux", "severity": "low", "released_on": "2026-01-01"},
        {"patch_id": "CVE-1", "asset": "SRV-1", "state": "missing", "installed_on": "2026-01-02"},
    ]}).json()
    assert (report["created"], report["rejected"]) == (2, 1)
    assert report["rejections"][0] == {"row": 3, "errors": {"installed_on": ["A missing patch has no installed date."]}}
    assert len(api.get(f"{BASE}/patch-states/?state=missing").json()["results"]) == 1
    assert [p["patch_id"] for p in api.get(f"{BASE}/patches/?severity=critical").json()["results"]] == ["CVE-1"]
    overall = api.get(f"{BASE}/patch-compliance/").json()
    assert overall["overall"]["counts"]["percent_installed"] == "50.0"
    assert overall["assets"][0]["asset"]["ci"]["name"] == "lnx-db-01"
    assert len(api.get(f"{BASE}/patch-compliance/?limit=1").json()["assets"]) == 1
    for bad in ("0", "1001", "x"):
        assert "limit" in error_of(api.get(f"{BASE}/patch-compliance/?limit={bad}"))["fields"]
    services = api.get(f"{BASE}/patch-compliance/services/?service={service.pk}").json()
    assert services[0]["service"]["name"] == "Online Sales" and services[0]["counts"]["missing_critical"] == 1
    at_risk = api.get(f"{BASE}/patch-compliance/at-risk/").json()
    assert at_risk[0]["service"]["name"] == "Online Sales" and at_risk[0]["server"]["rated_critical"] is True
    assert [p["patch_id"] for p in at_risk[0]["server"]["missing_critical"]] == ["CVE-1"]
    assert [c["name"] for c in at_risk[0]["path"]] == ["lnx-db-01", "Online Sales"]
    other = cmdb.create_ci(by=agent, name="lnx-db-02", ci_class=CIClass.objects.get(key="linux_server"))
    cmdb.add_relationship(by=agent, type=RelationshipType.objects.get(key="depends_on"), source=service, target=other)
    Asset.objects.create(asset_tag="SRV-2", name="DB 2", lifecycle="deployed", ci=other)
    PatchState.objects.create(asset=Asset.objects.get(asset_tag="SRV-2"), patch=Patch.objects.get(patch_id="CVE-1"),
                              state="missing")
    assert len(api.get(f"{BASE}/patch-compliance/at-risk/").json()[0]["servers"]) == 1
    every = api.get(f"{BASE}/patch-compliance/at-risk/?all_servers=true").json()
    assert sorted(s["ci"]["name"] for s in every[0]["servers"]) == ["lnx-db-01", "lnx-db-02"]
    assert "all_servers" in error_of(api.get(f"{BASE}/patch-compliance/at-risk/?all_servers=yes"))["fields"]


def test_requesters_and_anonymous_are_refused(tenant, requester):
    anonymous, person = api_client(tenant), api_client(tenant, requester)
    for url in ("products/", "entitlements/", "installations/", "patches/", "patch-states/", "licence-compliance/",
                "patch-compliance/", "patch-compliance/services/", "patch-compliance/at-risk/"):
        assert anonymous.get(f"{BASE}/{url}").status_code == 401
        assert person.get(f"{BASE}/{url}").status_code == 403
    assert person.post(f"{BASE}/products/", {"vendor": "a", "name": "b"}).status_code == 403
    assert not SoftwareProduct.objects.exists()


def test_another_tenant_sees_and_touches_nothing(tenant, other_tenant, in_other_tenant, agent):
    product = SoftwareProduct.objects.create(vendor="Alpha", name="Secret Suite")
    Entitlement.objects.create(product=product, metric="per_device", quantity=3, unit_cost="1.00")
    asset = Asset.objects.create(asset_tag="ALPHA-1", name="Alpha laptop", lifecycle="deployed")
    Installation.objects.create(product=product, asset=asset)
    patch = Patch.objects.create(patch_id="ALPHA-CVE", product="x", severity="critical", released_on=date(2026, 1, 1))
    PatchState.objects.create(asset=asset, patch=patch, state="missing")
    entitlement = Entitlement.objects.get()
    with in_other_tenant():
        beta = api_client(other_tenant, AgentFactory())
    for url in ("products/", "entitlements/", "installations/", "patches/", "patch-states/", "licence-compliance/",
                "patch-compliance/", "patch-compliance/at-risk/"):
        body = beta.get(f"{BASE}/{url}").content.decode()
        assert "Secret Suite" not in body and "ALPHA" not in body, url
    report = beta.post(f"{BASE}/installations/bulk/", {"rows": [
        {"vendor": "Alpha", "product": "Secret Suite", "asset": "ALPHA-1"}]}).json()
    assert report["rejected"] == 1 and "No asset" in report["rejections"][0]["errors"]["asset"][0]
    report = beta.post(f"{BASE}/patch-states/bulk/", {"rows": [
        {"patch_id": "ALPHA-CVE", "asset": "ALPHA-1", "state": "installed"}]}).json()
    assert report["rejected"] == 1
    assert beta.post(f"{BASE}/entitlements/", {"product": product.pk, "metric": "per_device",
                                               "quantity": 1}).status_code in (400, 404)
    assert beta.delete(f"{BASE}/entitlements/{entitlement.pk}/").status_code == 404
    back_to(tenant)
    assert PatchState.objects.get().state == "missing" and Entitlement.objects.count() == 1
    assert Installation.objects.count() == 1 and SoftwareProduct.objects.count() == 1
