"""The shared ticket API checklist, run against /api/v1/incidents/."""

from incidents.models import Incident
from tests.api.ticket_battery import TicketApiBattery
from tests.factories import make_incident

RESOLVE = {"resolution_code": "solved_permanently", "resolution_notes": "Replaced the toner."}


class TestIncidentApi(TicketApiBattery):
    endpoint = "/api/v1/incidents/"
    model = Incident
    create_payload = {"title": "VPN drops every hour", "description": "Since *Monday*.", "impact": 2, "urgency": 1}
    update_payload = {"title": "VPN drops for the whole floor"}
    paths = [
        [("start", {}, "in_progress"), ("hold", {"hold_reason": "awaiting_vendor"}, "on_hold"),
         ("resume", {"comment": "Vendor replied."}, "in_progress"), ("resolve", RESOLVE, "resolved"),
         ("reopen", {}, "in_progress"), ("resolve", RESOLVE, "resolved"), ("close", {}, "closed")],
        [("cancel", {"cancel_reason": "Raised twice."}, "cancelled")],
    ]
    refused_from_initial = ("resume", {})
    guard = ("resolve", {"resolution_notes": "Rebooted"}, "resolution_code")

    def create_ticket(self, *, by, requester):
        return make_incident(by=by, requester=requester)
