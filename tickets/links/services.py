"""Linking and unlinking tickets: the only writers of ``TicketLink``.

Each write locks both tickets (in a fixed order, so two agents linking the same pair from either
side queue instead of deadlocking), records the change on both tickets' timelines and announces
``linked`` / ``unlinked`` for each ticket after commit. Refusals name the field they are about:
``number`` for the other ticket, ``kind`` for the kind.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tickets import events
from core.exceptions import NotPermitted, TicketError, ValidationFailed
from tickets.links.kinds import KINDS, SIDES
from tickets.links.queries import Link, between, involving, other_end
from tickets.models import TicketLink, TimelineEntry, ticket_type_label
from tickets.registry import ticket_for_number


class LinkNotFound(TicketError):
    status_code = 404
    code = "not_found"


def _key(ticket) -> tuple[str, int]:
    return ticket_type_label(ticket), ticket.pk


def _lock(*tickets, refusal: str) -> None:
    for ticket in sorted(tickets, key=_key):
        if not type(ticket)._default_manager.select_for_update().filter(pk=ticket.pk).exists():
            raise ValidationFailed(refusal, fields={"number": [f"{ticket.number} no longer exists."]})


def _other_end(link, *, is_source: bool) -> tuple[str, int]:
    return (link.target_type, link.target_id) if is_source else (link.source_type, link.source_id)


def _record(link, kind, ticket, other, *, is_source: bool, action: str, by) -> None:
    """``other`` is None when that ticket was deleted: the entry then names no number."""
    from tickets.services import record

    record(ticket, kind=TimelineEntry.Kind.LINK, by=by, data={
        "action": action, "link_id": link.pk, "kind": kind.name, "label": kind.label_from(source=is_source),
        "ticket_type": _other_end(link, is_source=is_source)[0],
        "number": getattr(other, "number", None), "title": getattr(other, "title", ""),
    })


def _announce(name: str, link, kind, ticket, other, *, is_source: bool, by) -> None:
    other_type, other_id = _other_end(link, is_source=is_source)
    events.publish(events.TicketEvent(name, ticket, by, {
        "link_id": link.pk, "kind": kind.name, "label": kind.label_from(source=is_source),
        "other_type": other_type, "other_id": other_id, "other_number": getattr(other, "number", None),
    }))


def link_tickets(source, target, kind: str, *, by) -> TicketLink:
    """Link ``source`` to ``target`` as ``kind`` ("INC1 causes INC2"); refuses or writes nothing."""
    if not by.is_agent:
        raise NotPermitted("Only agents can link tickets.")
    link_kind = KINDS.get(kind)
    if link_kind is None:
        raise ValidationFailed("The link was not made.", fields={"kind": [f"Unknown link kind '{kind}'."]})
    if _key(source) == _key(target):
        raise ValidationFailed("The link was not made.",
                               fields={"number": [f"{source.number} cannot be linked to itself."]})
    refusal = link_kind.refusal(source, target)
    if refusal:
        raise ValidationFailed("The link was not made.", fields={"kind": [refusal]})
    with transaction.atomic():
        _lock(source, target, refusal="The link was not made.")
        if TicketLink.objects.filter(between(source, target), kind=link_kind.name).exists():
            raise _already_linked(source, target, link_kind)
        if link_kind.hierarchy:
            _check_hierarchy(source, target, link_kind)
        try:
            with transaction.atomic():
                link = TicketLink.objects.create(
                    kind=link_kind.name, source_type=ticket_type_label(source), source_id=source.pk,
                    target_type=ticket_type_label(target), target_id=target.pk,
                    created_by=by if getattr(by, "pk", None) else None)
        except IntegrityError:  # made by a concurrent request in between: the same refusal
            raise _already_linked(source, target, link_kind) from None
        for ticket, other, is_source in ((source, target, True), (target, source, False)):
            _record(link, link_kind, ticket, other, is_source=is_source, action="linked", by=by)
            _announce(events.LINKED, link, link_kind, ticket, other, is_source=is_source, by=by)
    return link


def link_by_number(ticket, side: str, number: str, *, by) -> Link:
    """What the desk and the API do: link ``ticket`` to the ticket numbered ``number`` (any type), as the
    link reads from ``ticket`` (``side``: "caused_by" makes "<number> causes <ticket>")."""
    if side not in SIDES:
        raise ValidationFailed("The link was not made.", fields={"kind": [f"Unknown link kind '{side}'."]})
    kind, is_source = SIDES[side]
    if kind.managed:
        raise ValidationFailed("The link was not made.", fields={"kind": [kind.managed]})
    number = (number or "").strip().upper()
    other = ticket_for_number(number)
    if other is None:
        raise ValidationFailed("The link was not made.", fields={"number": [f"There is no ticket {number}."]})
    source, target = (ticket, other) if is_source else (other, ticket)
    return Link(link=link_tickets(source, target, kind.name, by=by), kind=kind, is_source=is_source, other=other)


def _check_hierarchy(parent, child, kind) -> None:
    """One level: the child has no parent yet and no children; the parent is no one's child."""
    def as_target(ticket):
        return TicketLink.objects.filter(kind=kind.name, target_type=ticket_type_label(ticket), target_id=ticket.pk)

    def as_source(ticket):
        return TicketLink.objects.filter(kind=kind.name, source_type=ticket_type_label(ticket), source_id=ticket.pk)

    refusal = None
    current = as_target(child).first()
    if current is not None:
        other = other_end(current, child)
        refusal = f"{child.number} is already {kind.reverse_label} {getattr(other, 'number', 'another ticket')}; " \
                  "remove that link first."
    elif as_target(parent).exists():
        refusal = f"{parent.number} is itself {kind.reverse_label} another ticket; link to that one instead."
    elif as_source(child).exists():
        refusal = f"{child.number} is {kind.label} other tickets and cannot become {kind.reverse_label} one."
    if refusal:
        raise ValidationFailed("The link was not made.", fields={"number": [refusal]})


def _already_linked(source, target, kind) -> ValidationFailed:
    return ValidationFailed("The link was not made.", fields={"number": [
        f"{source.number} and {target.number} are already linked as '{kind.label}'"
        f"{'' if kind.symmetric else ' (in one direction or the other)'}."]})


def unlink(ticket, link_id: int, *, by) -> None:
    """Remove link ``link_id`` of ``ticket``; a link that is not ``ticket``'s is not found."""
    if not by.is_agent:
        raise NotPermitted("Only agents can remove links.")
    with transaction.atomic():
        link = TicketLink.objects.select_for_update().filter(involving(ticket), pk=link_id).first()
        if link is None:
            raise LinkNotFound(f"{ticket.number} has no link {link_id}.")
        is_source = (link.source_type, link.source_id) == _key(ticket)
        # None when the other ticket was deleted: the dangling link can still be removed.
        other = other_end(link, ticket)
        _lock(ticket, *([other] if other is not None else []), refusal="The link was not removed.")
        link_kind = KINDS.get(link.kind)
        if link_kind is not None and link_kind.managed and other is not None:
            raise NotPermitted(link_kind.managed)
        link.delete()
        link.pk = link_id
        if link_kind is None:  # a kind no longer registered: the link goes, the timelines say nothing
            return
        ends = [(ticket, other, is_source)] + ([(other, ticket, not is_source)] if other is not None else [])
        for this, that, this_is_source in ends:
            _record(link, link_kind, this, that, is_source=this_is_source, action="unlinked", by=by)
            _announce(events.UNLINKED, link, link_kind, this, that, is_source=this_is_source, by=by)


def link_new_ticket(new, other, kind: str, *, by, other_locked: bool = False) -> TicketLink:
    """Link ``new``, a ticket created in the caller's transaction, to ``other`` as ``kind``'s source
    ("TASK1 task of RITM1"): what ``link_tickets`` does, in three statements instead of eight.

    No one else can see ``new`` before the commit, so it has no link to check against and no
    concurrent request can link it: only ``other`` is locked (skipped when the caller holds its lock,
    ``other_locked``), and both timeline entries are written by one INSERT. Hierarchy kinds, whose
    rules read ``other``'s links, go through ``link_tickets``.
    """
    from tickets.services import timeline_in_bulk

    link_kind = KINDS.get(kind)
    if link_kind is None or link_kind.hierarchy or not transaction.get_connection().in_atomic_block:
        return link_tickets(new, other, kind, by=by)
    if not by.is_agent:
        raise NotPermitted("Only agents can link tickets.")
    refusal = link_kind.refusal(new, other)
    if refusal:
        raise ValidationFailed("The link was not made.", fields={"kind": [refusal]})
    if not other_locked:
        _lock(other, refusal="The link was not made.")
    link = TicketLink.objects.create(
        kind=link_kind.name, source_type=ticket_type_label(new), source_id=new.pk,
        target_type=ticket_type_label(other), target_id=other.pk, created_by=by if getattr(by, "pk", None) else None)
    with timeline_in_bulk():
        for ticket, that, is_source in ((new, other, True), (other, new, False)):
            _record(link, link_kind, ticket, that, is_source=is_source, action="linked", by=by)
    for ticket, that, is_source in ((new, other, True), (other, new, False)):
        _announce(events.LINKED, link, link_kind, ticket, that, is_source=is_source, by=by)
    return link
