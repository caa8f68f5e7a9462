"""Reading a ticket's links: both directions, with what a page or the API shows of the other ticket."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q

from tickets.links.kinds import KINDS, LinkKind
from tickets.models import TicketLink, ticket_type_label

# What a links list shows of the other ticket: enough for its number, title, state and page.
OTHER_FIELDS = ("id", "number", "title", "state")


def between(a, b) -> Q:
    """Links joining the two tickets, whichever is the source."""
    (a_type, a_id), (b_type, b_id) = _ends(a), _ends(b)
    return (Q(source_type=a_type, source_id=a_id, target_type=b_type, target_id=b_id)
            | Q(source_type=b_type, source_id=b_id, target_type=a_type, target_id=a_id))


def involving(ticket) -> Q:
    label, pk = _ends(ticket)
    return Q(source_type=label, source_id=pk) | Q(target_type=label, target_id=pk)


def _ends(ticket) -> tuple[str, int]:
    return ticket_type_label(ticket), ticket.pk


@dataclass(frozen=True)
class Link:
    """One link as seen from one of its tickets."""

    link: TicketLink
    kind: LinkKind
    is_source: bool  # this ticket is the link's source ("INC1 causes ..." seen from INC1)
    other: object  # the other ticket, with OTHER_FIELDS loaded

    @property
    def id(self) -> int:
        return self.link.pk

    @property
    def label(self) -> str:
        """How the link reads from this ticket: "caused by"."""
        return self.kind.label_from(source=self.is_source)

    @property
    def side(self) -> str:
        """The side name the API and forms use: "caused_by"."""
        return self.kind.side_names[0 if self.is_source else 1]


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def links_of(ticket) -> list[Link]:
    """``ticket``'s links, both directions, sorted by label then the other ticket's number.

    One query for the links (with who made them) and one per type of ticket linked to. Links
    whose other ticket no longer exists, or whose kind or type is no longer registered, are left out.
    A page that has read them already (``read_links_for_page``) gets them again without a query.
    """
    if hasattr(ticket, "_page_links"):
        return ticket._page_links
    label, pk = ticket_type_label(ticket), ticket.pk
    rows = list(TicketLink.objects.filter(involving(ticket)).select_related("created_by"))
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        is_source = (row.source_type, row.source_id) == (label, pk)
        wanted[row.target_type if is_source else row.source_type].add(row.target_id if is_source else row.source_id)
    found: dict[tuple[str, int], object] = {}
    for other_type, ids in wanted.items():
        model = _model(other_type)
        if model is None:
            continue
        for other in model._default_manager.filter(pk__in=ids).only(*OTHER_FIELDS):
            found[(other_type, other.pk)] = other
    links = []
    for row in rows:
        is_source = (row.source_type, row.source_id) == (label, pk)
        key = (row.target_type, row.target_id) if is_source else (row.source_type, row.source_id)
        kind = KINDS.get(row.kind)
        if kind is not None and key in found:
            links.append(Link(link=row, kind=kind, is_source=is_source, other=found[key]))
    return sorted(links, key=lambda link: (link.label, link.other.number))


def read_links_for_page(ticket) -> list[Link]:
    """Read ``ticket``'s links once for a page render: the links card and the cards of extensions
    (a problem's known-error card) then share them. Only for a ticket no write follows in this request."""
    ticket._page_links = links_of(ticket)
    return ticket._page_links


def other_end(link: TicketLink, ticket):
    """The ticket at the other end of ``link`` from ``ticket``, or None when it no longer exists."""
    if (link.source_type, link.source_id) == (ticket_type_label(ticket), ticket.pk):
        other_type, other_id = link.target_type, link.target_id
    else:
        other_type, other_id = link.source_type, link.source_id
    model = _model(other_type)
    return model._default_manager.filter(pk=other_id).first() if model is not None else None
