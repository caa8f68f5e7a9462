"""Desk pages for licences and patches: they render with a fixed number of queries, forms refuse bad input
with field errors, requesters are kept out, and another tenant's agent sees none of it."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.models import Asset, Entitlement, Installation, Patch, PatchState, SoftwareProduct
from cmdb import services as cmdb
from cmdb.models import CIClass, RelationshipType
from tests.factories import AgentFactory, RequesterFactory

pytestmark = pytest.mark.django_db


def grow(agent, n):
    """n more products with licences and installations, n more servers behind a service, each missing a patch."""
    start = SoftwareProduct.objects.count()
    service = cmdb.create_ci(by=agent, name=f"Service {start}", ci_class=CIClass.objects.get(key="business_service"))
    for i in range(start, start + n):
        product = SoftwareProduct.objects.create(vendor="Vendor", name=f"Product {i}")
        Entitlement.objects.create(product=product, metric="per_user", quantity=2, unit_cost=Decimal("9.99"))
        server = cmdb.create_ci(by=agent, name=f"srv-{i}", ci_class=CIClass.objects.get(key="linux_server"))
        cmdb.add_relationship(by=agent, type=RelationshipType.objects.get(key="depends_on"), source=service,
                              target=server)
        asset = Asset.objects.create(asset_tag=f"SRV-{i}", name=f"Server {i}", lifecycle="deployed", ci=server)
        Installation.objects.create(product=product, asset=asset, user=RequesterFactory())
        patch = Patch.objects.create(patch_id=f"CVE-{i}", product="Linux", severity="critical",
                                     released_on=date(2026, 1, 1))
        PatchState.objects.create(asset=asset, patch=patch, state="missing")
    return service


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response


def test_pages_render_with_a_fixed_number_of_queries(tenant, agent, make_client):
    client = make_client(tenant, agent)
    service = grow(agent, 2)
    product, patch = SoftwareProduct.objects.first(), Patch.objects.first()
    urls = [reverse("software:licences"), reverse("software:product", args=[product.pk]), reverse("software:patches"),
            reverse("software:patch", args=[patch.pk]), reverse("software:service", args=[service.pk])]
    queries_for(client, urls[0])  # the first request of a session warms per-session caches
    before = {url: queries_for(client, url)[0] for url in urls}
    grow(agent, 5)  # more products, assets, patches and servers (in a second service)
    Asset.objects.filter(asset_tag="SRV-0").update(assigned_to=RequesterFactory())
    after = {url: queries_for(client, url)[0] for url in urls}
    patches_url = reverse("software:patches")
    # Per business service costs one impact walk: the second service adds exactly one query, nothing else grows.
    assert after.pop(patches_url) == before.pop(patches_url) + 1
    assert after == before
    _, page = queries_for(client, reverse("software:licences"))
    body = page.content.decode()
    assert "Product 6" in body and "Over-licensed" in body and 'prio-1">Under-licensed' not in body
    _, page = queries_for(client, patches_url)
    body = page.content.decode()
    assert "Business services on unpatched critical servers" in body and "CVE-0" in body and "Service 0" in body


def test_product_and_entitlement_forms(tenant, agent, make_client):
    client = make_client(tenant, agent)
    response = client.post(reverse("software:product_create"), {"vendor": "Adobe", "name": "Acrobat Pro"})
    product = SoftwareProduct.objects.get()
    assert response.status_code == 302 and response.url == reverse("software:product", args=[product.pk])
    response = client.post(reverse("software:product_create"), {"vendor": "adobe", "name": "ACROBAT PRO"})
    assert response.status_code == 200 and "already has a product named" in response.content.decode()
    create = reverse("software:entitlement_create", args=[product.pk])
    response = client.post(create, {"metric": "subscription", "quantity": "10", "unit_cost": "12.50"})
    assert response.status_code == 200 and "A subscription needs the date it ends." in response.content.decode()
    response = client.post(create, {"metric": "per_user", "quantity": "0", "unit_cost": "-1",
                                    "starts_on": "2026-02-01", "ends_on": "2026-01-01"})
    assert response.status_code == 200 and not Entitlement.objects.exists()
    response = client.post(create, {"metric": "subscription", "quantity": "10", "unit_cost": "12.50",
                                    "ends_on": "2027-01-31"})
    assert response.status_code == 302
    entitlement = Entitlement.objects.get()
    edit = reverse("software:entitlement_edit", args=[product.pk, entitlement.pk])
    assert "2027-01-31" in client.get(edit).content.decode()
    response = client.post(edit, {"metric": "subscription", "quantity": "12", "unit_cost": "12.50",
                                  "ends_on": "2027-01-31"})
    entitlement.refresh_from_db()
    assert response.status_code == 302 and entitlement.quantity == 12
    other = SoftwareProduct.objects.create(vendor="Other", name="Product")
    assert client.get(reverse("software:entitlement_edit", args=[other.pk, entitlement.pk])).status_code == 404
    other.delete()
    # A product with licences is not deleted; without them it is.
    response = client.post(reverse("software:product_delete", args=[product.pk]), follow=True)
    assert "Remove the product" in response.content.decode()
    client.post(reverse("software:entitlement_delete", args=[product.pk, entitlement.pk]))
    client.post(reverse("software:product_delete", args=[product.pk]))
    assert not SoftwareProduct.objects.exists()


def test_requesters_are_refused(tenant, requester, make_client):
    client = make_client(tenant, requester)
    for name in ("software:licences", "software:patches", "software:product_create"):
        assert client.get(reverse(name)).status_code == 403


def test_another_tenant_sees_none_of_it(tenant, agent, other_tenant, in_other_tenant, make_client):
    service = grow(agent, 1)
    product, patch = SoftwareProduct.objects.get(), Patch.objects.get()
    entitlement = Entitlement.objects.get()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(AgentFactory())
        for url in (reverse("software:product", args=[product.pk]), reverse("software:patch", args=[patch.pk]),
                    reverse("software:service", args=[service.pk]),
                    reverse("software:entitlement_edit", args=[product.pk, entitlement.pk])):
            assert beta.get(url).status_code == 404
        for url in (reverse("software:product_delete", args=[product.pk]),
                    reverse("software:entitlement_delete", args=[product.pk, entitlement.pk])):
            assert beta.post(url).status_code == 404
        for url in (reverse("software:licences"), reverse("software:patches")):
            body = beta.get(url).content.decode()
            assert "Product 0" not in body and "CVE-0" not in body and "Service 0" not in body
    connection.set_tenant(tenant)
    assert SoftwareProduct.objects.filter(pk=product.pk).exists() and Entitlement.objects.filter(pk=entitlement.pk).exists()
