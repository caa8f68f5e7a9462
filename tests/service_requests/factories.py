"""Catalogue factories, and orders made through the service as in production."""

import factory

from service_requests.models import CatalogCategory, CatalogItem, CatalogVariable, FulfilmentTaskTemplate


class CatalogCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem

    category = factory.SubFactory(CatalogCategoryFactory)
    name = factory.Sequence(lambda n: f"Catalogue item {n}")
    short_description = "Something people order"


class CatalogVariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogVariable

    item = factory.SubFactory(CatalogItemFactory)
    name = factory.Sequence(lambda n: f"variable_{n}")
    type = "text"
    label = factory.LazyAttribute(lambda v: v.name.replace("_", " ").capitalize())
    order = factory.Sequence(lambda n: n)


class TaskTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FulfilmentTaskTemplate

    item = factory.SubFactory(CatalogItemFactory)
    title = factory.Sequence(lambda n: f"Task {n}")


def laptop_item(**fields):
    """An item with a small conditional form: a laptop, optionally with a monitor of some size."""
    item = CatalogItemFactory(name=fields.pop("name", "Laptop"), price="1299.00", cost_centre="IT-4410",
                              icon="laptop", **fields)
    CatalogVariableFactory(item=item, name="model", type="choice", label="Model", required=True, order=1,
                           choices=[["standard", "Standard 14-inch"], ["power", "Power 16-inch"]])
    CatalogVariableFactory(item=item, name="needs_monitor", type="checkbox", label="Needs a monitor", order=2)
    CatalogVariableFactory(item=item, name="monitor_size", type="number", label="Monitor size (inches)", order=3,
                           required=True, min_value="22", max_value="34",
                           show_when=[{"variable": "needs_monitor", "op": "eq", "value": True}])
    return item


def make_request(*, by, requested_for=None, item=None, variables=None, quantity=1, **fields):
    """``fields``: the order's title, description, assignment_group, assignee, impact, urgency, category."""
    from service_requests import services

    item = item or CatalogItemFactory()
    return services.submit_request(by=by, requested_for=requested_for, channel="phone", items=[
        services.OrderLine(catalog_item=item, quantity=quantity, variables=variables or {})], **fields)


def make_requested_item(*, by, requester=None, **fields):
    return make_request(by=by, requested_for=requester, **fields).created_items[0]
