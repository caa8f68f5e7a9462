"""Read helpers shared by the desk and the portal pages of an incident."""

from tickets import queries as ticket_queries


def timeline(ticket, *, public_only: bool):
    """The ticket's history, newest first, with its attachments (see tickets.queries.timeline)."""
    return list(ticket_queries.timeline(ticket, public_only=public_only).order_by("-created_at", "-id"))


def attachments(ticket, *, public_only: bool):
    return list(ticket_queries.attachments(ticket, public_only=public_only))
