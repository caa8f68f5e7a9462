"""Incidents as a registered ticket type: what the shared desk, portal and mails need to know."""

from django.db.models import Q

from incidents import hierarchy, services
from incidents.filters import IncidentFilter
from incidents.forms import IncidentFieldsForm
from incidents.models import Incident
from tickets.forms import PortalTicketForm
from tickets.types import CRITICAL_COUNTER, STANDARD_COUNTERS, Counter, TicketType, Toggle


def _row_tags(incident):
    tags = []
    if incident.is_major:
        tags.append(("Major", "tag-major", ""))
    if getattr(incident, "is_child", False):
        tags.append(("Child", "tag-muted", "Child of another incident"))
    return tags


INCIDENT_TYPE = TicketType(
    model=Incident,
    slug="incidents",
    label="Incident",
    plural="Incidents",
    filterset=IncidentFilter,
    fields_form=IncidentFieldsForm,
    create=services.create_incident,
    update=services.update_incident,
    transition=services.transition_incident,
    # A requester's reply to a recently resolved incident reopens it.
    comment=services.add_reply,
    portal_form=PortalTicketForm,
    portal_create_label="Report an issue",
    portal_actions={
        "close": {"slug": "confirm", "label": "Confirm resolution",
                  "done": "Thanks for confirming. The ticket is now closed."},
        "reopen": {"slug": "reopen", "label": "Still broken",
                   "done": "Sorry it is still broken. The ticket is open again and the team has been told."},
    },
    counters=(*STANDARD_COUNTERS,
              Counter("major", "Major", "is_major=true", lambda user: Q(is_major=True), css="counter-major"),
              CRITICAL_COUNTER),
    toggles=(Toggle("mine", "Mine"), Toggle("unassigned", "Unassigned"), Toggle("is_major", "Major"),
             Toggle("breaching_soon", "Breaching soon", "Open, with an SLA clock due within 2 hours or already breached")),
    templates={
        "detail_badges": "incidents/_detail_badges.html",
        "detail_main": "incidents/_detail_main.html",
        "portal_notice": "incidents/_portal_notice.html",
    },
    row_tags=_row_tags,
    resolve_with_note=services.resolve_with_note,
    # SLA clocks; the known-error card of problem management (workarounds, "create problem"); affected CIs.
    extensions=("sla", "cmdb", "known_errors", "tasks"),
    detail_related=("created_by",),
    annotate_list=hierarchy.with_is_child,
    nav_order=10,
)

