"""The shared ticket API checklist, run against /api/v1/problems/."""

from problems.models import Problem
from tests.api.ticket_battery import TicketApiBattery
from tests.factories import make_problem

RESOLVE = {"resolution_code": "fixed", "resolution_notes": "Raised the DHCP lease time."}


class TestProblemApi(TicketApiBattery):
    endpoint = "/api/v1/problems/"
    model = Problem
    create_payload = {"title": "Printers drop off every morning", "description": "Seen on *three* floors.",
                      "impact": 2, "urgency": 2, "affected_service": "Printing", "workaround": "Power-cycle it."}
    update_payload = {"root_cause": "DHCP leases expire overnight"}
    paths = [
        [("assess", {}, "assess"), ("analyse", {}, "root_cause_analysis"),
         ("start_fix", {"root_cause": "Lease time too short", "root_cause_category": "configuration"},
          "fix_in_progress"),
         ("resolve", RESOLVE, "resolved"), ("reopen", {}, "root_cause_analysis"),
         ("start_fix", {"root_cause": "Lease time too short"}, "fix_in_progress"), ("resolve", RESOLVE, "resolved"),
         ("close", {}, "closed")],
        [("cancel", {"cancel_reason": "Same as PRB0001001."}, "cancelled")],
    ]
    refused_from_initial = ("resolve", RESOLVE)
    guard = ("cancel", {}, "cancel_reason")

    def create_ticket(self, *, by, requester):
        return make_problem(by=by, requester=requester)
