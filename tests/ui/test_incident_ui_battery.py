"""The shared desk and portal checklist, run for incidents."""

from incidents.models import Incident
from tests.factories import make_incident
from tests.ui.ticket_ui_battery import TicketUiBattery

RESOLVE = {"resolution_code": "solved_permanently", "resolution_notes": "Replaced the toner."}


class TestIncidentUi(TicketUiBattery):
    model = Incident
    create_form = {"title": "Scanner on floor 2 is offline", "description": "Since *Monday*.", "impact": 2,
                   "urgency": 2, "channel": "phone"}
    paths = [
        [("start", {}), ("hold", {"hold_reason": "awaiting_vendor"}), ("resume", {}), ("resolve", RESOLVE),
         ("reopen", {}), ("resolve", RESOLVE), ("close", {})],
        [("cancel", {"cancel_reason": "Raised twice."})],
    ]
    guard = ("resolve", {"resolution_notes": "Rebooted"}, "resolution_code")

    def create_ticket(self, *, by, requester, **fields):
        return make_incident(by=by, requester=requester, **fields)
