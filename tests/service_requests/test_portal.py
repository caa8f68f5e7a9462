"""Ordering in the portal: the catalogue, the item's form built from its variables, show-when, refusals."""

import pytest

from service_requests.models import Audience, RequestedItem, ServiceRequest
from tests import files
from tests.factories import RequesterFactory
from tests.service_requests.factories import (CatalogCategoryFactory, CatalogItemFactory, CatalogVariableFactory,
                                              laptop_item)


@pytest.fixture
def portal(make_client, tenant, requester):
    return make_client(tenant, requester)


def test_the_catalogue_lists_what_one_may_order_by_category_and_searches(portal, django_assert_max_num_queries):
    hardware = CatalogCategoryFactory(name="Hardware")
    laptop_item(category=hardware)
    CatalogItemFactory(category=hardware, name="Secret server", audience=Audience.DEPARTMENTS, departments=["Ops"])
    CatalogItemFactory(name="Notebook paper")
    portal.get("/portal/catalogue/")
    with django_assert_max_num_queries(8):
        html = portal.get("/portal/catalogue/").content.decode()
    assert "Hardware" in html and "Laptop" in html and "Secret server" not in html
    assert 'aria-current="page">Order something<' in html
    found = portal.get("/portal/catalogue/?q=paper").content.decode()
    assert "Notebook paper" in found and "Laptop" not in found


def test_the_item_form_has_its_fields_with_hidden_conditionals(portal):
    item = laptop_item()
    html = portal.get(f"/portal/catalogue/{item.pk}/").content.decode()
    assert '<label for="id_var_model">Model' in html and 'Power 16-inch' in html
    assert "data-show-when=" in html and " hidden>" in html  # monitor size, until the box is ticked
    assert "service_requests/show_when.js" in html and "<script>" not in html


def test_order_and_land_on_the_request(portal, requester):
    item = laptop_item()
    response = portal.post(f"/portal/catalogue/{item.pk}/", {"var_model": "power", "var_needs_monitor": "on",
                                                             "var_monitor_size": "27", "quantity": "1"})
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/portal/tickets/{request.number}/"
    assert request.items.get().variables == {"model": "power", "needs_monitor": True, "monitor_size": 27}
    page = portal.get(response["Location"]).content.decode()
    assert "What you ordered" in page and "In fulfilment" in page
    item_page = portal.get(f"/portal/tickets/{request.items.get().number}/").content.decode()
    assert "Order details" in item_page and "Power 16-inch" in item_page and "Monitor size (inches)" in item_page


def test_refusals_are_on_their_fields_and_nothing_is_written(portal):
    item = laptop_item()
    response = portal.post(f"/portal/catalogue/{item.pk}/", {"var_model": "", "var_monitor_size": "27",
                                                             "quantity": "1"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["var_model"] == ["This field is required."]
    assert form.errors["var_monitor_size"] == ["Not asked for with these answers: leave it out."]
    html = response.content.decode()
    assert 'id="id_var_model_error"' in html
    assert not ServiceRequest.objects.exists() and not RequestedItem.objects.exists()


def test_order_for_a_colleague_with_a_file(portal, requester):
    colleague = RequesterFactory(email="colleague@example.test")
    item = CatalogItemFactory()
    CatalogVariableFactory(item=item, name="quote", type="attachment", label="Supplier quote", required=True)
    response = portal.post(f"/portal/catalogue/{item.pk}/", {
        "quantity": "1", "requested_for": "colleague@example.test",
        "var_quote": files.upload("quote.png", files.PNG)})
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.requester_id == colleague.pk and list(request.watchers.all()) == [requester]
    assert request.items.get().variables["quote"]["filename"] == "quote.png"


def test_an_item_one_may_not_order_is_not_found(portal):
    item = CatalogItemFactory(audience=Audience.DEPARTMENTS, departments=["Ops"])
    assert portal.get(f"/portal/catalogue/{item.pk}/").status_code == 404
    assert portal.post(f"/portal/catalogue/{item.pk}/", {"quantity": "1"}).status_code == 404


def test_other_tenant_cannot_see_or_order(make_client, tenant, other_tenant, in_other_tenant):
    item = CatalogItemFactory(name="Alpha only chair")
    with in_other_tenant():
        person = RequesterFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(person)
    assert "Alpha only chair" not in beta.get("/portal/catalogue/").content.decode()
    assert beta.get(f"/portal/catalogue/{item.pk}/").status_code == 404
    assert beta.post(f"/portal/catalogue/{item.pk}/", {"quantity": "1"}).status_code == 404
    from django.db import connection

    connection.set_tenant(tenant)
    assert not ServiceRequest.objects.exists()


def test_an_order_that_needs_the_managers_approval_waits_for_it(make_client, tenant):
    """Through the portal view (request.user is a lazy object there): the chain starts with the order."""
    from approvals.models import ApprovalRequest
    from tests.approvals.factories import ChainFactory, StageFactory

    manager = RequesterFactory(full_name="Morgan Manager")
    employee = RequesterFactory(full_name="Robin Employee", manager=manager)
    chain = ChainFactory(name="Manager approval")
    StageFactory(chain=chain, order=1, name="Line manager", kind="manager")
    item = laptop_item(approval_chain=chain)
    response = make_client(tenant, employee).post(f"/portal/catalogue/{item.pk}/", {"var_model": "power",
                                                                                    "quantity": "1"})
    assert response.status_code == 302
    ordered = RequestedItem.objects.get()
    assert ordered.state == "awaiting_approval"
    assert ApprovalRequest.objects.get(stage__approval__ticket_id=ordered.pk).approver == manager
    page = make_client(tenant, employee).get(response["Location"]).content.decode()
    assert "Waiting for approval: stage 1 of 1, Line manager." in page
