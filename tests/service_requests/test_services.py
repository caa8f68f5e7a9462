"""Ordering from the catalogue, and how a request follows its items."""

import pytest

from core.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from service_requests import services
from service_requests.models import Audience, RequestedItem, ServiceRequest
from service_requests.workflow import ITEM_WORKFLOW
from tests import files
from tests.factories import AgentFactory, GroupFactory, RequesterFactory
from tests.service_requests.factories import (CatalogItemFactory, CatalogVariableFactory, TaskTemplateFactory, laptop_item,
                                              make_request)
from tests.guards import stand_in
from tickets.models import Attachment, TimelineEntry
from tickets.workflow import RESOLVES


@pytest.fixture
def stand_in_guards():
    restore_guards = stand_in("approved", "all_tasks_done")
    yield
    restore_guards()


def line(item, **kwargs):
    return services.OrderLine(catalog_item=item, **kwargs)


def counts():
    return ServiceRequest.objects.count(), RequestedItem.objects.count(), Attachment.objects.count()


def test_an_order_is_a_request_with_its_items(tenant, requester):
    laptop = laptop_item()
    bag = CatalogItemFactory(name="Laptop bag", price="49.90", cost_centre="IT-1")
    request = services.submit_request(by=requester, channel="portal", items=[
        line(laptop, variables={"model": "power", "needs_monitor": True, "monitor_size": 27}),
        line(bag, quantity=2)])
    assert request.number.startswith("REQ") and request.title == "2 items: Laptop, Laptop bag"
    items = list(request.items.order_by("pk"))
    assert [i.number[:4] for i in items] == ["RITM", "RITM"]
    assert items[0].variables == {"model": "power", "needs_monitor": True, "monitor_size": 27}
    assert (items[1].quantity, str(items[1].unit_price), items[1].cost_centre) == (2, "49.90", "IT-1")
    assert {i.state for i in items} == {ITEM_WORKFLOW.initial} == {"in_fulfilment"}
    assert all(i.requester_id == requester.pk and i.created_by_id == requester.pk for i in items)


def test_the_price_is_the_one_at_order_time(tenant, requester):
    item = CatalogItemFactory(price="100.00")
    ordered = make_request(by=requester, item=item).created_items[0]
    item.price = "120.00"
    item.save()
    assert str(RequestedItem.objects.get(pk=ordered.pk).unit_price) == "100.00"


def test_ordering_for_someone_else_makes_the_orderer_a_watcher(tenant, requester):
    colleague = RequesterFactory()
    request = make_request(by=requester, requested_for=colleague)
    assert request.requester_id == colleague.pk and request.created_by_id == requester.pk
    assert list(request.watchers.all()) == [requester]
    assert list(request.created_items[0].watchers.all()) == [requester]
    # Both follow it in the portal.
    for person in (requester, colleague):
        assert ServiceRequest.objects.visible_to(person).filter(pk=request.pk).exists()
        assert RequestedItem.objects.visible_to(person).filter(pk=request.created_items[0].pk).exists()


def test_nothing_is_created_when_any_line_is_refused(tenant, requester):
    good, inactive = CatalogItemFactory(), CatalogItemFactory(is_active=False)
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(by=requester, items=[line(good), line(inactive), line(good, quantity=0),
                                                     line(laptop_item(name="Other laptop"))])
    assert caught.value.fields == {
        "items.1.catalog_item": [f"{inactive.name} can no longer be ordered."],
        "items.2.quantity": ["Order between 1 and 1000."],
        "items.3.variables.model": ["This field is required."],
    }
    assert counts() == before
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(by=requester, items=[])
    assert caught.value.fields == {"items": ["Order at least one item."]}


def test_who_may_order_follows_the_audience(tenant, requester):
    group = GroupFactory()
    for_group = CatalogItemFactory(audience=Audience.GROUPS)
    for_group.groups.add(group)
    for_finance = CatalogItemFactory(audience=Audience.DEPARTMENTS, departments=["Finance"])
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(by=requester, items=[line(for_group), line(for_finance)])
    assert set(caught.value.fields) == {"items.0.catalog_item", "items.1.catalog_item"}
    assert "may not order" in caught.value.fields["items.0.catalog_item"][0]
    assert counts() == before
    group.members.add(requester)
    requester.department = "finance"
    requester.save()
    assert make_request(by=requester, item=for_group) and make_request(by=requester, item=for_finance)
    # It is the person the order is for who must be allowed, whoever orders.
    with pytest.raises(ValidationFailed):
        make_request(by=requester, requested_for=RequesterFactory(), item=for_group)


def test_user_picker_answers_resolve_in_the_tenant(tenant, requester):
    item = CatalogItemFactory()
    CatalogVariableFactory(item=item, name="manager", type="user", label="Manager")
    boss = RequesterFactory(email="boss@example.test")
    ordered = make_request(by=requester, item=item, variables={"manager": "BOSS@example.test"}).created_items[0]
    assert ordered.variables == {"manager": boss.pk}
    with pytest.raises(ValidationFailed) as caught:
        make_request(by=requester, item=item, variables={"manager": "ghost@example.test"})
    assert "variables.manager" in next(iter(caught.value.fields))


def test_attachment_variables_store_the_checked_file(tenant, requester):
    item = CatalogItemFactory()
    CatalogVariableFactory(item=item, name="quote", type="attachment", label="Supplier quote", required=True)
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.submit_request(by=requester, items=[line(item, files={"quote": files.upload("quote.png", b"<html>")})])
    assert list(caught.value.fields) == ["items.0.variables.quote"] and counts() == before
    request = services.submit_request(by=requester, items=[line(item, files={"quote": files.upload("quote.png", files.PNG)})])
    ordered = request.created_items[0]
    stored = Attachment.objects.get(ticket_type="service_requests.requesteditem", ticket_id=ordered.pk)
    assert ordered.variables["quote"] == {"filename": "quote.png", "sha256": stored.sha256}


def test_the_request_closes_with_its_last_item_as_the_system(tenant, agent, requester, stand_in_guards):
    request = services.submit_request(by=requester, items=[line(CatalogItemFactory()), line(CatalogItemFactory())])
    first, second = request.created_items
    services.ticket_services.transition(first, "fulfil", by=agent)
    assert ServiceRequest.objects.get(pk=request.pk).state == "open"
    services.ticket_services.transition(second, "reject", by=agent, fields={"rejection_reason": "Out of stock"})
    closed = ServiceRequest.objects.get(pk=request.pk)
    assert closed.state == "closed" and closed.closed_at and closed.version == request.version + 1
    entry = TimelineEntry.objects.filter(ticket_type="service_requests.servicerequest", ticket_id=request.pk,
                                         kind="transition").get()
    assert entry.author_id is None and entry.data["source"] == "service_requests" and entry.data["automatic"]


def test_a_refused_last_step_leaves_the_request_open(tenant, agent, requester):
    """The item's fulfilment needs its tasks done; a refusal changes neither the item nor the request."""
    item = CatalogItemFactory()
    TaskTemplateFactory(item=item, title="Set it up")  # an open task: "all tasks done" refuses
    request = make_request(by=requester, item=item)
    with pytest.raises(InvalidTransition, match="1 of 1 tasks"):
        services.ticket_services.transition(request.created_items[0], "fulfil", by=agent)
    assert ServiceRequest.objects.get(pk=request.pk).state == "open"


def test_an_agent_cannot_close_a_request_with_open_items(tenant, agent, requester):
    request = make_request(by=requester)
    with pytest.raises(InvalidTransition) as caught:
        services.transition_request(request, "close", by=agent)
    assert "1 item still open" in caught.value.message


def test_cancelling_a_request_cancels_its_open_items(tenant, agent, requester, stand_in_guards):
    request = services.submit_request(by=requester, items=[line(CatalogItemFactory()), line(CatalogItemFactory())])
    done, still_open = request.created_items
    services.ticket_services.transition(done, "fulfil", by=agent)
    services.transition_request(request, "cancel", by=agent, fields={"cancel_reason": "Changed my mind"})
    assert ServiceRequest.objects.get(pk=request.pk).state == "cancelled"
    assert RequestedItem.objects.get(pk=done.pk).state == "fulfilled"
    cancelled = RequestedItem.objects.get(pk=still_open.pk)
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", "Changed my mind")


def test_a_fulfilled_item_tells_the_requester_it_is_done():
    assert ITEM_WORKFLOW.meaning("in_fulfilment", "fulfilled") == RESOLVES


def test_the_guards_are_named_for_the_engines_that_register_them():
    assert ITEM_WORKFLOW.by_name["approve"].guards == ("approved",)
    assert ITEM_WORKFLOW.by_name["fulfil"].guards == ("all_tasks_done",)


def test_requesters_raise_requests_only_for_themselves_through_the_desk_service(tenant, requester):
    with pytest.raises(NotPermitted):
        services.create_request(by=requester, requester=AgentFactory(), catalog_item=CatalogItemFactory())


def test_an_order_reads_each_item_form_once(tenant, requester, django_assert_max_num_queries):
    """Statements do not grow with the form's variables: the form is read once per line."""
    def item_with(count):
        item = CatalogItemFactory()
        for n in range(count):
            CatalogVariableFactory(item=item, name=f"answer_{n}", type="text")
        return item, {f"answer_{n}": f"Answer {n}" for n in range(count)}

    make_request(by=requester)  # the tenant's configuration (priority matrix, SLA policies) is then cached
    counts = []
    for size in (1, 8):
        item, answers = item_with(size)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            make_request(by=requester, item=item, variables=answers)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_an_order_of_several_items_is_one_received_mail(tenant, requester, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.submit_request(by=requester, items=[line(CatalogItemFactory()), line(CatalogItemFactory())])
    received = [m for m in mailoutbox if "We have received your request" in m.subject]
    assert [m.subject.split("]")[0] for m in received] == [f"[{request.number}"]
