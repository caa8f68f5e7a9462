"""Ticket types are registered, not copied.

A process app declares its ticket type once (model, filterset, forms, services, queue columns,
URL slug, navigation label, portal behaviour, the template blocks that are its own) and
``tickets/`` serves the desk queue, detail, create and edit pages, the portal, navigation and
mail links for it. Registration happens in the process app's ``AppConfig.ready()``::

    register(TicketType(model=Problem, slug="problems", label="Problem", plural="Problems", ...))

Extensions from the floor above (SLA) hook in through ``tickets.extensions``; this module never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from tickets import services as ticket_services


@dataclass(frozen=True)
class Counter:
    """One counter above a type's queue: a filter on the open tickets and the query string it links to."""

    key: str
    label: str
    query: str  # e.g. "mine=true"
    condition: Callable  # (user) -> Q, applied to the type's open tickets
    css: str = ""


# The counters every type has; a type appends its own (incidents: major).
STANDARD_COUNTERS = (
    Counter("open", "Open", "state=open", lambda user: Q()),
    Counter("mine", "Assigned to me", "mine=true", lambda user: Q(assignee=user)),
    Counter("unassigned", "Unassigned", "unassigned=true", lambda user: Q(assignee__isnull=True)),
)
CRITICAL_COUNTER = Counter("critical", "P1 critical", "priority=1", lambda user: Q(priority=1), css="counter-p1")


@dataclass(frozen=True)
class Column:
    """A queue column of a type's own: a heading and the cell's text for a row (read from the row's fields)."""

    label: str
    value: Callable  # (ticket) -> str


# The queue's standard columns, in order; a type lists the ones it shows (number, title and state always).
STANDARD_COLUMNS = ("priority", "requester", "group", "assignee", "opened", "age", "updated")


@dataclass(frozen=True)
class Toggle:
    """A checkbox in the queue's "Show only" group, bound to a boolean filter of the type's filterset."""

    name: str
    label: str
    title: str = ""


@dataclass
class TicketType:
    model: type
    slug: str  # URL segment: /desk/<slug>/ (and the API's /api/v1/<slug>/)
    label: str  # "Incident"
    plural: str  # "Incidents"
    filterset: type  # a tickets.filters.TicketFilterSet subclass: queue and API read the same one
    fields_form: type  # a tickets.forms.TicketFieldsForm subclass: the desk's create page and edit panel
    create: Callable  # the type's create service: create(by=..., **form fields) -> ticket
    update: Callable = ticket_services.update_ticket
    transition: Callable = ticket_services.transition
    comment: Callable = ticket_services.add_comment  # (ticket, by=, body=, is_public=, channel=, attachments=)
    # Requesters follow their own tickets of this type in the portal (problems: no).
    in_portal: bool = True
    # Whether its requester is mailed (created, replies to them, resolution). Internal work whose requester
    # follows another ticket says no (a fulfilment task: the requester follows their request, not its tasks).
    mail_requester: bool = True
    # Requesters may raise this type in the portal when it has a portal form.
    portal_form: type | None = None
    portal_create_label: str = ""  # "Report an issue"
    # How the portal shows the requester's workflow actions: {transition: {"slug", "label", "done"}}
    # (an incident's close is "Confirm resolution" at .../confirm/); others use the transition's own label.
    portal_actions: dict = field(default_factory=dict)
    counters: tuple[Counter, ...] = (*STANDARD_COUNTERS, CRITICAL_COUNTER)
    toggles: tuple[Toggle, ...] = (Toggle("mine", "Mine"), Toggle("unassigned", "Unassigned"))
    # Template blocks that are the type's own, each optional: "detail_main" (below the description),
    # "detail_side" (a sidebar card), "create_sections" (extra create-page fields), "portal_detail".
    templates: dict = field(default_factory=dict)
    # The queue: which standard columns, and the type's own (after the extensions' columns).
    columns: tuple[str, ...] = STANDARD_COLUMNS
    extra_columns: tuple[Column, ...] = ()
    # Small labels after a row's title in the queue: (ticket) -> [(text, css class, tooltip)]
    row_tags: Callable = staticmethod(lambda ticket: ())
    # Names of tickets.extensions this type opts into (e.g. "sla").
    extensions: tuple[str, ...] = ()
    list_related: tuple[str, ...] = ("requester", "assignee", "assignment_group", "category")
    # Columns a type adds to its queue and list rows in the same query (incidents: whether a row is a child).
    annotate_list: Callable = staticmethod(lambda rows: rows)
    detail_related: tuple[str, ...] = ("created_by",)
    nav_order: int = 100
    # The type's own desk pages (the known-error list): a URL module included under /desk/ before
    # the generic ``<slug>/`` routes, and (label, URL name) links for the main navigation.
    desk_urls: str = ""
    nav_links: tuple[tuple[str, str], ...] = ()
    # "Create <this> from <that ticket>": a link side (tickets.links.kinds, e.g. "problem_of"). The desk's
    # create page then takes ``?from=INC0001001``, starts from that ticket's shared fields and links the new
    # ticket to it as that side, in the same transaction.
    create_from: str = ""
    # Extra inputs of one action's form: {action: {name: form field}}, passed to ``transition`` as keywords
    # (a problem's resolve offers to resolve its linked incidents too).
    action_fields: dict = field(default_factory=dict)
    # How another process resolves a ticket of this type with a note (a problem resolving its incidents).
    resolve_with_note: Callable | None = None
    # Whether creating one mails its requester "we have received it". A type whose tickets are made with
    # another's, in the same write (a request's items), leaves that mail to the other: one order, one mail.
    mail_on_create: bool = True

    @property
    def label_lower(self) -> str:
        return self.label[:1].lower() + self.label[1:]


_TYPES: dict[str, TicketType] = {}


def register(ticket_type: TicketType) -> TicketType:
    if ticket_type.slug in _TYPES and _TYPES[ticket_type.slug].model is not ticket_type.model:
        raise ValueError(f"Ticket type slug {ticket_type.slug!r} is already registered.")
    _TYPES[ticket_type.slug] = ticket_type
    ticket_type.filterset.bind_workflow()
    from tickets import extensions

    extensions.apply(ticket_type)
    return ticket_type


def all_types() -> list[TicketType]:
    return sorted(_TYPES.values(), key=lambda t: (t.nav_order, t.label))


def by_slug(slug: str) -> TicketType | None:
    return _TYPES.get(slug)


def for_model(model_or_ticket) -> TicketType | None:
    model = model_or_ticket if isinstance(model_or_ticket, type) else type(model_or_ticket)
    return next((t for t in _TYPES.values() if t.model is model), None)


def for_number(number: str) -> TicketType | None:
    """The type whose number prefix starts ``number`` (INC0001001 -> incidents)."""
    from tickets.registry import model_for_number

    model = model_for_number(number)
    return for_model(model) if model is not None else None


def portal_types() -> list[TicketType]:
    """Types a requester follows in the portal (they see only the tickets they raised or watch)."""
    return [t for t in all_types() if t.in_portal]


def raisable_types() -> list[TicketType]:
    return [t for t in all_types() if t.portal_form is not None]
