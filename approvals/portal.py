"""Approvals in the portal's front door (tickets.portal): "Approvals" in the navigation with the number
waiting for the viewer, and what waits for them on the home page. Approvers are often no agents."""

from approvals import queries
from tickets import portal


def _waiting(user) -> int:
    return queries.waiting_for(user).count()


def _section(request) -> dict | None:
    waiting = queries.attach_tickets(queries.waiting_for(request.user)[:5])
    return {"waiting": waiting, "more": max(0, _waiting(request.user) - len(waiting))} if waiting else None


def register() -> None:
    portal.register_link(portal.PortalLink("approvals", "Approvals", "approvals:portal_list", order=110,
                                           count=_waiting))
    portal.register_section(portal.PortalSection("approvals", "approvals/portal/_home_section.html", _section,
                                                 order=5))
