"""Two items of one request closing at the same moment close the request exactly once."""

import threading

from django.db import connection, connections

from service_requests import services
from service_requests.models import CatalogCategory, CatalogItem, RequestedItem, ServiceRequest
from tests.factories import AgentFactory
from tests.guards import stand_in
from tickets import services as ticket_services
from tickets.models import TimelineEntry
from tickets.write_guard import direct_writes


def in_thread(tenant, work):
    """Run ``work`` on a connection of its own (its writes commit); re-raise what it raised."""
    failures = []

    def run():
        try:
            connection.set_tenant(tenant)
            work()
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


def test_two_last_items_closing_at_once_close_the_request_once(tenant, monkeypatch):
    made = {}

    def set_up():
        agent = AgentFactory(email="concurrent-items@example.test")
        category = CatalogCategory.objects.create(name="Concurrency category")
        items = [CatalogItem.objects.create(category=category, name=f"Concurrent {n}") for n in range(2)]
        request = services.submit_request(by=agent, items=[services.OrderLine(catalog_item=i) for i in items])
        made.update(agent=agent, category=category, items=items, request=request)

    thread, failures = in_thread(tenant, set_up)
    thread.join()
    assert not failures
    # Both items are fulfilled before either decides about the request: without the request's lock each
    # would see the other still open and the request would never close.
    both_fulfilled = threading.Barrier(2, timeout=30)
    decide = services.close_request_if_done

    def after_both(request_id):
        both_fulfilled.wait()
        return decide(request_id)

    monkeypatch.setattr(services, "close_request_if_done", after_both)
    restore_guards = stand_in("all_tasks_done")
    try:
        workers = [in_thread(tenant, lambda item=item: ticket_services.transition(item, "fulfil", by=made["agent"]))
                   for item in made["request"].created_items]
        for worker, _ in workers:
            worker.join()
        assert not [f for _, worker_failures in workers for f in worker_failures]
        request = ServiceRequest.objects.get(pk=made["request"].pk)
        assert request.state == "closed" and request.version == 2
        closes = TimelineEntry.objects.filter(ticket_type="service_requests.servicerequest", ticket_id=request.pk,
                                              kind="transition")
        assert closes.count() == 1
    finally:
        restore_guards()

        def clean_up():  # the set-up committed outside the test's transaction
            with direct_writes("test clean-up"):
                ids = [made["request"].pk, *(i.pk for i in made["request"].created_items)]
                TimelineEntry.objects.filter(ticket_id__in=ids, ticket_type__startswith="service_requests.").delete()
                RequestedItem.objects.filter(request_id=made["request"].pk).delete()
                ServiceRequest.objects.filter(pk=made["request"].pk).delete()
            CatalogItem.objects.filter(category=made["category"]).delete()
            made["category"].delete()
            made["agent"].delete()

        thread, failures = in_thread(tenant, clean_up)
        thread.join()
        assert not failures
