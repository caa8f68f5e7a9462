"""The catalogue settings: tenant admins build categories, items, forms and task templates without code."""

import pytest

from service_requests.models import CatalogCategory, CatalogItem, CatalogVariable, FulfilmentTaskTemplate
from tests.factories import AdminFactory, GroupFactory
from tests.service_requests.factories import (CatalogCategoryFactory, CatalogItemFactory, CatalogVariableFactory,
                                              TaskTemplateFactory, laptop_item)

BASE = "/desk/settings/catalogue/"


@pytest.fixture
def admin_client(make_client, tenant):
    return make_client(tenant, AdminFactory())


def variable_form(**overrides):
    return {"name": "reason", "label": "Why do you need it?", "type": "text", "default": "", "choices": "",
            "regex": "", "min_value": "", "max_value": "", "show_when_variable": "", "show_when_op": "",
            "show_when_value": "", **overrides}


def test_only_tenant_admins(make_client, tenant, agent, requester):
    item = CatalogItemFactory()
    for person in (agent, requester):
        client = make_client(tenant, person)
        assert client.get(BASE).status_code == 403
        assert client.post(f"{BASE}items/{item.pk}/variables/new/", variable_form()).status_code == 403
    assert not CatalogVariable.objects.exists()


def test_the_tab_lists_categories_and_items(admin_client, django_assert_max_num_queries):
    laptop_item()
    CatalogItemFactory(name="Desk lamp")
    admin_client.get(BASE)
    with django_assert_max_num_queries(8):
        html = admin_client.get(BASE).content.decode()
    assert 'aria-current="page">Service catalogue<' in html and "Laptop" in html and "3 variables" in html


def test_create_a_category_and_an_item(admin_client):
    response = admin_client.post(f"{BASE}categories/new/", {"name": "Hardware", "icon": "laptop", "order": 1,
                                                            "is_active": "on"})
    assert response.status_code == 302
    category = CatalogCategory.objects.get(name="Hardware")
    group = GroupFactory()
    response = admin_client.post(f"{BASE}items/new/", {
        "category": category.pk, "name": "Docking station", "icon": "monitor", "description": "USB-C **dock**",
        "audience": "groups", "groups": [group.pk], "departments": "", "price": "189.50", "cost_centre": "IT-7",
        "delivery_target_hours": 16, "is_active": "on", "order": 2})
    assert response.status_code == 302, response.content.decode()[:3000]
    item = CatalogItem.objects.get(name="Docking station")
    assert list(item.groups.all()) == [group] and str(item.price) == "189.50"
    assert "<strong>dock</strong>" in item.description_html


def test_item_form_errors(admin_client):
    category = CatalogCategoryFactory()
    response = admin_client.post(f"{BASE}items/new/", {"category": category.pk, "name": "Licence", "icon": "key",
                                                       "audience": "departments", "departments": "", "order": 0})
    assert response.status_code == 400
    assert "Name at least one department" in response.content.decode()
    assert not CatalogItem.objects.exists()


def test_add_a_conditional_variable(admin_client):
    item = laptop_item()
    response = admin_client.post(f"{BASE}items/{item.pk}/variables/new/", variable_form(
        name="cable", label="Cable length", type="choice", choices="1m | One metre\n2m | Two metres", default="1m",
        show_when_variable="needs_monitor", show_when_op="eq", show_when_value="true"))
    assert response.status_code == 302, response.content.decode()[:3000]
    cable = item.variables.get(name="cable")
    assert cable.choices == [["1m", "One metre"], ["2m", "Two metres"]] and cable.default == "1m"
    assert cable.show_when == [{"variable": "needs_monitor", "op": "eq", "value": True}]
    assert cable.order == 4


@pytest.mark.parametrize("overrides, message", [
    ({"type": "choice"}, "A choice needs at least one option."),
    ({"name": "model"}, "Another variable of this item has this name."),
    ({"name": "Bad Name"}, "lower-case letters"),
    ({"regex": "(unclosed"}, "The pattern does not compile"),
    ({"type": "number", "min_value": "10", "max_value": "2"}, "The maximum is below the minimum."),
    ({"type": "number", "default": "lots"}, "The default breaks its own rules"),
    ({"show_when_variable": "needs_monitor", "show_when_op": "eq", "show_when_value": "maybe"},
     "compare with true or false"),
    ({"show_when_variable": "needs_monitor", "show_when_op": ""}, "Choose the condition."),
])
def test_bad_variables_are_form_errors(admin_client, overrides, message):
    item = laptop_item()
    before = list(item.variables.values_list("pk", "name"))
    response = admin_client.post(f"{BASE}items/{item.pk}/variables/new/", variable_form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert list(item.variables.values_list("pk", "name")) == before


def test_a_cycle_made_by_an_edit_is_refused(admin_client):
    item = laptop_item()
    needs_monitor = item.variables.get(name="needs_monitor")
    response = admin_client.post(f"{BASE}items/{item.pk}/variables/{needs_monitor.pk}/", variable_form(
        name="needs_monitor", label="Needs a monitor", type="checkbox", show_when_variable="monitor_size",
        show_when_op="is_set"))
    assert response.status_code == 400 and "go round in a circle" in response.content.decode()
    assert CatalogVariable.objects.get(pk=needs_monitor.pk).show_when == []


def test_reorder_and_remove_variables(admin_client):
    item = laptop_item()
    size = item.variables.get(name="monitor_size")
    admin_client.post(f"{BASE}items/{item.pk}/variables/{size.pk}/move/", {"direction": "up"})
    assert list(item.variables.order_by("order").values_list("name", flat=True)) == [
        "model", "monitor_size", "needs_monitor"]
    # A variable another one's condition names cannot go.
    monitor = item.variables.get(name="needs_monitor")
    response = admin_client.post(f"{BASE}items/{item.pk}/variables/{monitor.pk}/delete/", follow=True)
    assert "Shown depending on it: Monitor size (inches)" in response.content.decode()
    assert item.variables.filter(pk=monitor.pk).exists()
    admin_client.post(f"{BASE}items/{item.pk}/variables/{size.pk}/delete/")
    admin_client.post(f"{BASE}items/{item.pk}/variables/{monitor.pk}/delete/")
    assert list(item.variables.values_list("name", flat=True)) == ["model"]


def test_task_templates(admin_client):
    item = CatalogItemFactory()
    group = GroupFactory()
    response = admin_client.post(f"{BASE}items/{item.pk}/tasks/new/", {"title": "Image the laptop", "step": 1,
                                                                       "assignment_group": group.pk, "due_in_hours": 8})
    assert response.status_code == 302
    assert item.task_templates.get().assignment_group == group
    refused = admin_client.post(f"{BASE}items/{item.pk}/tasks/new/", {"title": " ", "step": 0})
    assert refused.status_code == 400 and item.task_templates.count() == 1
    template = item.task_templates.get()
    admin_client.post(f"{BASE}items/{item.pk}/tasks/{template.pk}/delete/")
    assert not FulfilmentTaskTemplate.objects.exists()


def test_other_tenant_cannot_reach_the_catalogue_settings(make_client, tenant, other_tenant, in_other_tenant):
    item = CatalogItemFactory(name="Alpha only item")
    variable = CatalogVariableFactory(item=item)
    template = TaskTemplateFactory(item=item)
    with in_other_tenant():
        beta_admin = AdminFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_admin)
    assert "Alpha only item" not in beta.get(BASE).content.decode()
    for url in (f"{BASE}items/{item.pk}/", f"{BASE}items/{item.pk}/variables/{variable.pk}/",
                f"{BASE}items/{item.pk}/tasks/{template.pk}/"):
        assert beta.get(url).status_code == 404
    assert beta.post(f"{BASE}items/{item.pk}/variables/{variable.pk}/delete/").status_code == 404
    assert beta.post(f"{BASE}items/{item.pk}/variables/new/", variable_form()).status_code == 404
    from django.db import connection

    connection.set_tenant(tenant)
    assert CatalogVariable.objects.filter(pk=variable.pk).exists() and item.variables.count() == 1
