"""The shared desk and portal checklist, run for problems."""

from problems.models import Problem
from tests.factories import make_problem
from tests.ui.ticket_ui_battery import TicketUiBattery

RESOLVE = {"resolution_code": "fixed", "resolution_notes": "Raised the DHCP lease time."}


class TestProblemUi(TicketUiBattery):
    model = Problem
    create_form = {"title": "Printers drop off every morning", "description": "Three floors.", "impact": 2,
                   "urgency": 2, "channel": "phone", "affected_service": "Printing"}
    edit_change = ("root_cause", "DHCP leases expire overnight", "DHCP leases expire overnight")
    paths = [
        [("assess", {}), ("analyse", {}), ("start_fix", {"root_cause": "Lease time too short"}),
         ("resolve", RESOLVE), ("reopen", {}), ("start_fix", {}), ("resolve", RESOLVE), ("close", {})],
        [("cancel", {"cancel_reason": "Same as another problem."})],
    ]
    # Leaving root cause analysis without a root cause is refused.
    guard_path_prefix = [("analyse", {})]
    guard = ("start_fix", {"root_cause": ""}, "root_cause")

    def create_ticket(self, *, by, requester, **fields):
        return make_problem(by=by, requester=requester, **fields)
