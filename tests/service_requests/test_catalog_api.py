"""The catalogue over the API: what the caller may order, an item's form and schema, ordering."""

import pytest
from jsonschema import Draft202012Validator

from service_requests.models import Audience, RequestedItem, ServiceRequest
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import GroupFactory, RequesterFactory
from tests.service_requests.factories import (CatalogCategoryFactory, CatalogItemFactory, CatalogVariableFactory,
                                              laptop_item)


@pytest.fixture
def requester_api(tenant, requester):
    return api_client(tenant, requester)


def test_items_list_only_what_the_caller_may_order(requester_api, requester):
    hardware = CatalogCategoryFactory(name="Hardware", order=1)
    open_to_all = CatalogItemFactory(category=hardware, name="Mouse")
    CatalogItemFactory(category=hardware, name="Retired phone", is_active=False)
    CatalogItemFactory(category=CatalogCategoryFactory(name="Hidden", is_active=False), name="In a hidden category")
    group_only = CatalogItemFactory(category=hardware, name="Server access", audience=Audience.GROUPS)
    group_only.groups.add(GroupFactory())
    finance = CatalogItemFactory(category=hardware, name="Ledger licence", audience=Audience.DEPARTMENTS,
                                 departments=["Finance"])
    names = [row["name"] for row in requester_api.get("/api/v1/catalog/items/").json()]
    assert names == ["Mouse"]
    requester.department = "Finance"
    requester.save()
    group_only.groups.first().members.add(requester)
    names = [row["name"] for row in requester_api.get("/api/v1/catalog/items/").json()]
    assert names == ["Ledger licence", "Mouse", "Server access"]
    assert [c["name"] for c in requester_api.get("/api/v1/catalog/categories/").json()] == ["Hardware"]
    assert requester_api.get(f"/api/v1/catalog/items/{open_to_all.pk}/").status_code == 200
    assert finance.pk in [row["id"] for row in requester_api.get("/api/v1/catalog/items/?q=ledger").json()]


def test_filter_by_category_and_search(requester_api):
    software = CatalogCategoryFactory(name="Software")
    editor = CatalogItemFactory(category=software, name="Text editor", short_description="For writing")
    CatalogItemFactory(name="Desk lamp")
    assert [r["id"] for r in requester_api.get(f"/api/v1/catalog/items/?category={software.pk}").json()] == [editor.pk]
    assert [r["id"] for r in requester_api.get("/api/v1/catalog/items/?q=WRITING").json()] == [editor.pk]
    assert requester_api.get("/api/v1/catalog/items/?category=soft").status_code == 400


def test_list_query_count_does_not_grow_with_items(requester_api, django_assert_max_num_queries):
    for n in range(3):
        CatalogItemFactory(name=f"Item {n}")
    requester_api.get("/api/v1/catalog/items/")
    with django_assert_max_num_queries(3):  # search_path, the items with their categories
        first = requester_api.get("/api/v1/catalog/items/")
    for n in range(3, 12):
        CatalogItemFactory(name=f"Item {n}")
    with django_assert_max_num_queries(3):
        second = requester_api.get("/api/v1/catalog/items/")
    assert len(first.json()) == 3 and len(second.json()) == 12


def test_an_item_has_its_form_and_its_json_schema(requester_api):
    item = laptop_item(description="A **fast** one <script>alert(1)</script>")
    body = requester_api.get(f"/api/v1/catalog/items/{item.pk}/").json()
    assert [v["name"] for v in body["variables"]] == ["model", "needs_monitor", "monitor_size"]
    assert "<strong>fast</strong>" in body["description_html"] and "<script>" not in body["description_html"]
    assert body["price"] == "1299.00" and body["cost_centre"] == "IT-4410"
    schema = body["variables_schema"]
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"model": "power", "needs_monitor": True, "monitor_size": 27})
    assert not validator.is_valid({"model": "power", "monitor_size": 27})


def test_order_one_item_for_someone_else(requester_api, requester):
    item = laptop_item()
    colleague = RequesterFactory(email="colleague@example.test")
    response = requester_api.post(f"/api/v1/catalog/items/{item.pk}/order/", {
        "requested_for": "Colleague@example.test", "quantity": 1,
        "variables": {"model": "standard", "needs_monitor": True, "monitor_size": 24}})
    assert response.status_code == 201, response.json()
    body = response.json()
    request = ServiceRequest.objects.get(number=body["request"]["number"])
    assert request.requester_id == colleague.pk and request.created_by_id == requester.pk
    [ordered] = body["items"]
    assert ordered["variables"] == {"model": "standard", "needs_monitor": True, "monitor_size": 24}
    assert ordered["request"] == {"id": request.pk, "number": request.number} and ordered["unit_price"] == "1299.00"


@pytest.mark.parametrize("payload, field, message", [
    ({"variables": {"model": "standard", "monitor_size": 24}}, "variables.monitor_size", "Not asked for"),
    ({"variables": {"model": "tablet"}}, "variables.model", "Choose one of"),
    ({"variables": {}}, "variables.model", "This field is required."),
    ({"variables": {"model": "power", "colour": "red"}}, "variables.colour", "Unknown variable."),
    ({"variables": {"model": "power"}, "quantity": 0}, "quantity", "greater than or equal to 1"),
    ({"variables": {"model": "power"}, "requested_for": "nobody@example.test"}, "requested_for", "No active person"),
    ({"variables": {"model": "power"}, "price": 1}, "price", "Unknown field"),
])
def test_bad_orders_are_precise_400s_and_write_nothing(requester_api, payload, field, message):
    item = laptop_item()
    response = requester_api.post(f"/api/v1/catalog/items/{item.pk}/order/", payload)
    assert response.status_code == 400
    body = error_of(response)
    assert message in body["fields"][field][0], body
    assert ServiceRequest.objects.count() == RequestedItem.objects.count() == 0


def test_attachment_variables_are_refused_in_json_naming_the_variable(requester_api):
    item = CatalogItemFactory()
    CatalogVariableFactory(item=item, name="quote", type="attachment", label="Supplier quote")
    response = requester_api.post(f"/api/v1/catalog/items/{item.pk}/order/", {"variables": {"quote": "quote.pdf"}})
    assert response.status_code == 400
    assert "Supplier quote: upload the file" in error_of(response)["fields"]["variables.quote"][0]


def test_an_item_the_caller_may_not_order_is_not_found(requester_api):
    item = CatalogItemFactory(audience=Audience.DEPARTMENTS, departments=["Finance"])
    assert error_of(requester_api.get(f"/api/v1/catalog/items/{item.pk}/"))["code"] == "not_found"
    assert requester_api.post(f"/api/v1/catalog/items/{item.pk}/order/", {}).status_code == 404
    assert ServiceRequest.objects.count() == 0


def test_requesters_do_not_route_their_orders(requester_api):
    response = requester_api.post("/api/v1/requests/", {"items": [{"catalog_item": CatalogItemFactory().pk}],
                                                       "assignment_group": GroupFactory().pk})
    assert response.status_code == 403 and ServiceRequest.objects.count() == 0


def test_other_tenant_cannot_see_or_order_the_catalogue(tenant, other_tenant, in_other_tenant, requester):
    item = CatalogItemFactory(name="Alpha only laptop")
    with in_other_tenant():
        beta_person = RequesterFactory(email="beta-catalogue@example.test")
    beta = api_client(other_tenant, beta_person)
    assert "Alpha only laptop" not in beta.get("/api/v1/catalog/items/").content.decode()
    assert beta.get(f"/api/v1/catalog/items/{item.pk}/").status_code == 404
    assert beta.post(f"/api/v1/catalog/items/{item.pk}/order/", {}).status_code == 404
    back_to(tenant)
    alpha_on_beta_host = api_client(tenant, requester)
    alpha_on_beta_host.defaults["HTTP_HOST"] = api_client(other_tenant).defaults["HTTP_HOST"]
    assert alpha_on_beta_host.get("/api/v1/catalog/items/").status_code in (401, 403)
    back_to(tenant)
    assert ServiceRequest.objects.count() == 0
