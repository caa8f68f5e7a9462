"""The approval card on the desk page of a ticket whose type opts in (``TicketType(extensions=("approvals",))``).

Chain progress, each stage's state, every decision with who, when and the comment, and the
decision buttons for a viewer who is a pending approver of the stage (or their active delegate).
"""

from approvals import delegation, queries
from tickets.extensions import TicketExtension


class ApprovalsExtension(TicketExtension):
    name = "approvals"
    side_template = "approvals/_card.html"

    def side_context(self, ticket) -> dict:
        view = queries.latest_chain(ticket)
        if view is None:
            return {"chain": None}
        away = delegation.active_map(delegation.today())
        for stage in view.stages:
            for request in stage.request_list:
                request.deciders = ({request.approver_id, *delegation.acting_for(request.approver_id, away=away)}
                                    if request.is_open and stage.state == "pending" else set())
        return {"chain": view, "ticket": ticket}
