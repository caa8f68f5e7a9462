"""The shared ticket API checklist, run against /api/v1/requested-items/ (RITM)."""

import pytest

from service_requests.models import RequestedItem, ServiceRequest
from tests.api.helpers import error_of
from tests.api.ticket_battery import TicketApiBattery
from tests.service_requests.factories import CatalogItemFactory, make_requested_item
from tests.guards import stand_in
from tickets.write_guard import direct_writes


class TestRequestedItemApi(TicketApiBattery):
    # An order also reads its catalogue item's fulfilment template, to create its tasks at once.
    create_statement_budget = 11
    endpoint = "/api/v1/requested-items/"
    model = RequestedItem
    update_payload = {"description": "Deliver to the second floor."}
    paths = [
        [("approve", {}, "in_fulfilment"), ("fulfil", {}, "fulfilled")],
        [("reject", {"rejection_reason": "Not in the budget."}, "rejected")],
        [("approve", {}, "in_fulfilment"), ("reject", {"rejection_reason": "Out of stock for months."}, "rejected")],
        [("cancel", {"cancel_reason": "Ordered the wrong one."}, "cancelled")],
    ]
    refused_from_initial = ("fulfil", {})
    guard = ("reject", {}, "rejection_reason")

    @property
    def create_payload(self):
        return {"catalog_item": CatalogItemFactory().pk, "quantity": 1, "title": "A laptop for the new starter",
                "impact": 2, "urgency": 2}

    def create_ticket(self, *, by, requester):
        """An item waiting for approval, as the approval engine (built elsewhere) will leave it."""
        item = make_requested_item(by=by, requester=requester)
        with direct_writes("test set-up: the approval engine starts items in awaiting approval"):
            RequestedItem.objects.filter(pk=item.pk).update(state="awaiting_approval")
        item.state = "awaiting_approval"
        return item

    def test_create_makes_a_request_holding_the_item(self, agent_api, requester):
        response = agent_api.post(self.endpoint, {**self.create_payload, "requested_for": requester.email})
        assert response.status_code == 201, response.json()
        body = response.json()
        request = ServiceRequest.objects.get(number=body["request"]["number"])
        assert request.requester_id == requester.pk and body["requester"]["id"] == requester.pk
        assert list(request.items.values_list("number", flat=True)) == [body["number"]]

    def test_create_errors_name_the_variable(self, agent_api):
        from tests.service_requests.factories import CatalogVariableFactory

        item = CatalogItemFactory()
        CatalogVariableFactory(item=item, name="reason", type="text", required=True)
        response = agent_api.post(self.endpoint, {"catalog_item": item.pk, "variables": {"colour": "red"}})
        assert response.status_code == 400
        assert error_of(response)["fields"] == {"variables.colour": ["Unknown variable."],
                                                "variables.reason": ["This field is required."]}


@pytest.fixture(autouse=True)
def _stand_in_guards():
    """The approval engine and the fulfilment tasks register the real guards; stand-ins let items pass here."""
    restore_guards = stand_in("approved", "all_tasks_done")
    yield
    restore_guards()
