"""The shared desk and portal checklist, run for requested items (RITM)."""

import pytest

from service_requests.models import RequestedItem
from tests.service_requests.factories import CatalogItemFactory, laptop_item, make_requested_item
from tests.ui.ticket_ui_battery import TicketUiBattery
from tests.guards import stand_in
from tickets.write_guard import direct_writes


class TestRequestedItemUi(TicketUiBattery):
    model = RequestedItem
    paths = [
        [("approve", {}), ("fulfil", {})],
        [("reject", {"rejection_reason": "Not in the budget."})],
        [("cancel", {"cancel_reason": "Ordered the wrong one."})],
    ]
    guard = ("reject", {}, "rejection_reason")

    @property
    def create_form(self):
        return {"title": "A laptop for the new starter", "impact": 2, "urgency": 2, "channel": "phone",
                "catalog_item": CatalogItemFactory().pk, "quantity": 1}

    def create_ticket(self, *, by, requester, **fields):
        """An item waiting for approval, as the approval engine (built elsewhere) will leave it."""
        item = make_requested_item(by=by, requester=requester, **fields)
        with direct_writes("test set-up: the approval engine starts items in awaiting approval"):
            RequestedItem.objects.filter(pk=item.pk).update(state="awaiting_approval")
        return RequestedItem.objects.get(pk=item.pk)

    def test_detail_shows_the_answers_readably(self, agent_client, agent, requester):
        item = make_requested_item(by=agent, requester=requester, item=laptop_item(),
                                   variables={"model": "power", "needs_monitor": True, "monitor_size": 27})
        html = agent_client.get(self.url(item)).content.decode()
        assert "<th scope=\"row\">Model</th>" in html and "Power 16-inch" in html
        assert "Monitor size (inches)" in html and "27" in html and "1299.00" in html
        assert item.request.number in html

    def test_desk_create_names_the_required_answers_it_lacks(self, agent_client, requester):
        response = agent_client.post(self.queue_url("new/"), {**self.create_form, "requester": requester.pk,
                                                              "catalog_item": laptop_item().pk})
        assert response.status_code == 400
        assert RequestedItem.objects.count() == 0


@pytest.fixture(autouse=True)
def _stand_in_guards():
    restore_guards = stand_in("approved", "all_tasks_done")
    yield
    restore_guards()


def test_answers_show_people_by_name_and_files_as_download_links(make_client, tenant, agent, requester):
    from service_requests import services
    from tests import files
    from tests.factories import RequesterFactory
    from tests.service_requests.factories import CatalogItemFactory, CatalogVariableFactory
    from tickets.models import Attachment

    item = CatalogItemFactory()
    CatalogVariableFactory(item=item, name="manager", type="user", label="Approving manager", order=1)
    CatalogVariableFactory(item=item, name="quote", type="attachment", label="Supplier quote", order=2)
    boss = RequesterFactory(email="the.boss@example.test", full_name="Bea Boss")
    request = services.submit_request(by=requester, items=[services.OrderLine(
        catalog_item=item, variables={"manager": boss.email}, files={"quote": files.upload("quote.png", files.PNG)})])
    ritm = request.created_items[0]
    stored = Attachment.objects.get(ticket_type="service_requests.requesteditem", ticket_id=ritm.pk)
    html = make_client(tenant, agent).get(f"/desk/requested-items/{ritm.number}/").content.decode()
    assert "<th scope=\"row\">Approving manager</th>" in html and "Bea Boss" in html
    assert f'href="/attachments/{stored.pk}/">quote.png</a>' in html
