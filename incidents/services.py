"""Incident actions: the shared ticket services plus what is incident-specific
(parent/child resolution, requester replies that reopen)."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from incidents import hierarchy
from incidents.models import Incident, ResolutionCode
from incidents.workflow import OPEN, RESOLVED
from tickets import services as ticket_services
from tickets.models import Channel
from tickets.workflow import AGENT


def create_incident(*, by, requester=None, title, description="", channel=Channel.PORTAL, impact=3, urgency=3,
                    category=None, assignment_group=None, assignee=None, is_major=False, parent=None, watchers=(),
                    opened_at=None):
    """``opened_at`` is for imports of tickets raised elsewhere (and the demo): SLA clocks start from it.

    ``parent``: the incident this one is a child of (a "parent of" link, made in the same transaction).
    """
    requester = requester or by
    fields = {"description": description or "", "impact": impact, "urgency": urgency, "category": category,
              "assignment_group": assignment_group, "assignee": assignee, "is_major": is_major}
    if opened_at is not None:
        fields["opened_at"] = opened_at
    with transaction.atomic():
        incident = ticket_services.create_ticket(Incident, by=by, requester=requester, title=title, channel=channel,
                                                 fields=fields, watchers=watchers)
        if parent is not None:
            hierarchy.set_parent(incident, parent, by=by)
    return incident


def update_incident(incident, *, by, changes, expected_version=None):
    """Field changes; ``parent`` (an incident or None) moves the incident under another one, as a link."""
    changes = dict(changes)
    has_parent, parent = "parent" in changes, changes.pop("parent", None)
    with transaction.atomic():
        incident = ticket_services.update_ticket(incident, by=by, changes=changes, expected_version=expected_version)
        if has_parent:
            hierarchy.set_parent(incident, parent, by=by)
    return incident


def transition_incident(incident, action, *, by, fields=None, expected_version=None, comment=""):
    """Any named incident action; resolving a parent resolves its open children."""
    with transaction.atomic():
        incident = ticket_services.transition(incident, action, by=by, fields=fields,
                                              expected_version=expected_version, comment=comment)
        if action == "resolve":
            for child in hierarchy.children_of(incident).filter(state__in=OPEN).order_by("number"):
                ticket_services.transition(
                    child, "resolve", by=by,
                    fields={"resolution_code": ResolutionCode.RESOLVED_BY_PARENT,
                            "resolution_notes": f"Resolved with parent {incident.number}: {incident.resolution_notes}"},
                )
    return incident


def resolve_with_note(incident, *, by, note):
    """Resolve an incident because another ticket's work fixed it (a problem's resolution), with that note."""
    return transition_incident(incident, "resolve", by=by, fields={
        "resolution_code": ResolutionCode.RESOLVED_BY_PROBLEM, "resolution_notes": note})


def add_reply(incident, *, by, body, is_public=True, channel="", attachments=()):
    """A comment; a requester's reply to a recently resolved incident reopens it."""
    with transaction.atomic():
        entry = ticket_services.add_comment(incident, by=by, body=body, is_public=is_public, channel=channel,
                                            attachments=attachments)
        incident.refresh_from_db()
        if (incident.state == RESOLVED and ticket_services.role_for(by, incident) != AGENT
                and incident.resolved_at is not None and incident.resolved_at >= timezone.now() - reopen_window()):
            ticket_services.transition(incident, "reopen", by=by)
    return entry


def reopen_window() -> timedelta:
    tenant = getattr(connection, "tenant", None)
    return timedelta(days=getattr(tenant, "reopen_window_days", 7))


def auto_close_resolved(*, now=None, batch_size: int = 500) -> int:
    """Close incidents resolved longer ago than the tenant's auto-close period, as the system. Idempotent."""
    return ticket_services.auto_close(Incident, now=now, batch_size=batch_size)
