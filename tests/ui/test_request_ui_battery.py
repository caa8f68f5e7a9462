"""The shared desk and portal checklist, run for requests (REQ)."""

from service_requests.models import ServiceRequest
from tests.service_requests.factories import CatalogItemFactory, make_request
from tests.ui.ticket_ui_battery import TicketUiBattery


class TestServiceRequestUi(TicketUiBattery):
    model = ServiceRequest
    edit_change = ("description", "For the new starter on Monday.", "For the new starter on Monday.")
    # Close is the system's (with the last item's closing): tests/service_requests/test_services.py.
    paths = [[("cancel", {"cancel_reason": "Ordered twice."})]]
    guard = ("cancel", {}, "cancel_reason")

    @property
    def create_form(self):
        return {"title": "Kit for the new starter", "description": "Desk and chair.", "impact": 2, "urgency": 2,
                "channel": "phone", "catalog_item": CatalogItemFactory().pk, "quantity": 2}

    def test_paths_cover_every_declared_transition(self):
        assert {action for path in self.paths for action, _ in path} | {"close"} == set(self.model.workflow.by_name)

    def test_close_is_shown_disabled_with_the_open_items(self, agent_client, agent, requester):
        request = self.create_ticket(by=agent, requester=requester)
        html = agent_client.get(self.url(request)).content.decode()
        assert request.created_items[0].number in html
        assert "1 item still open" in html

    def create_ticket(self, *, by, requester, **fields):
        return make_request(by=by, requested_for=requester, **fields)
