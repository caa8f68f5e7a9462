"""Parent and child incidents, as links of the shared "parent of" kind (tickets.links).

A major incident is the parent; the reports of the same outage are its children. The kind keeps the
hierarchy one level deep (tickets.links.services); here are the incident's reads and writes of it:
its parent, its children, setting or clearing the parent, and the annotations list pages use.
"""

from django.db.models import Exists, OuterRef, Subquery

from core.exceptions import ValidationFailed
from incidents.models import Incident
from tickets.links import queries as link_queries
from tickets.links import services as link_services
from tickets.links.kinds import PARENT
from tickets.models import TicketLink, ticket_type_label

LABEL = "incidents.incident"


def _links():
    return TicketLink.objects.filter(kind=PARENT.name, source_type=LABEL, target_type=LABEL)


def parent_of(incident):
    """The parent (number, title and state loaded), from the incident's links: on a page that has read
    them already (the links card), without a query of its own."""
    return next((item.other for item in link_queries.links_of(incident)
                 if item.kind.name == PARENT.name and not item.is_source), None)


def children_of(incident):
    return Incident.objects.filter(pk__in=_links().filter(source_id=incident.pk).values("target_id"))


def with_parent_number(rows):
    """``parent_number`` on each row (None for none), in the same query."""
    parent_ids = _links().filter(target_id=OuterRef(OuterRef("pk"))).values("source_id")
    return rows.annotate(parent_number=Subquery(Incident.objects.filter(pk__in=parent_ids).values("number")[:1]))


def with_is_child(rows):
    return rows.annotate(is_child=Exists(_links().filter(target_id=OuterRef("pk"))))


def with_parent_numbered(rows, number: str):
    """Rows whose parent has this number."""
    parent_ids = Incident.objects.filter(number=number.strip().upper()).values("pk")
    return rows.filter(pk__in=_links().filter(source_id__in=parent_ids).values("target_id"))


def set_parent(incident, parent, *, by) -> None:
    """Make ``parent`` (an incident, or None) the incident's parent; refusals name the ``parent`` field."""
    current = _links().filter(target_id=incident.pk).first()
    if current is not None and parent is not None and current.source_id == parent.pk:
        return
    try:
        if current is not None:
            link_services.unlink(incident, current.pk, by=by)
        if parent is not None:
            if ticket_type_label(parent) != LABEL:
                raise ValidationFailed("The incident was not changed.",
                                                     fields={"parent": ["The parent must be an incident."]})
            link_services.link_tickets(parent, incident, PARENT.name, by=by)
    except ValidationFailed as exc:
        messages = [message for field in exc.fields.values() for message in field] or [exc.message]
        if parent is not None and parent.pk == incident.pk:
            messages = ["An incident cannot be its own parent."]
        raise ValidationFailed("The incident was not changed.", fields={"parent": messages}) from None
