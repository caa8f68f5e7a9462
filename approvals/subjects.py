"""What the engine knows of a ticket: the facts rules read, and the summary an approver sees.

A ticket type registers both from its ``AppConfig.ready()``::

    subjects.register(RequestedItem, facts=lambda item: {"price": item.price, ...},
                      summary=lambda item: [("Item", item.catalogue_item.name), ("Price", ...)])

An unregistered type gets its concrete field values as facts (related rows by name) and a summary
of number, title, requester, priority and category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Subject:
    facts: Callable  # (ticket) -> dict
    summary: Callable  # (ticket) -> list[tuple[label, value]]


_SUBJECTS: dict[type, Subject] = {}
_SKIPPED = {"id", "description_html", "version"}


def register(model, *, facts: Callable, summary: Callable) -> None:
    _SUBJECTS[model] = Subject(facts=facts, summary=summary)


def unregister(model) -> None:
    _SUBJECTS.pop(model, None)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def default_facts(ticket) -> dict:
    facts = {}
    for field in ticket._meta.concrete_fields:
        if field.name in _SKIPPED:
            continue
        if field.is_relation:
            related = getattr(ticket, field.name)
            facts[field.name] = (getattr(related, "name", None) or str(related)) if related is not None else None
        else:
            facts[field.name] = _plain(getattr(ticket, field.attname))
    requester = ticket.requester
    facts["requester_vip"] = bool(getattr(requester, "is_vip", False))
    facts["requester_department"] = getattr(requester, "department", "")
    return facts


def default_summary(ticket) -> list[tuple[str, str]]:
    rows = [("Ticket", ticket.number), ("Title", ticket.title), ("Requester", str(ticket.requester)),
            ("Priority", ticket.get_priority_display())]
    if ticket.category_id:
        rows.append(("Category", str(ticket.category)))
    return rows


def facts_for(ticket) -> dict:
    subject = _SUBJECTS.get(type(ticket))
    return subject.facts(ticket) if subject else default_facts(ticket)


def summary_for(ticket) -> list[tuple[str, str]]:
    subject = _SUBJECTS.get(type(ticket))
    return list(subject.summary(ticket)) if subject else default_summary(ticket)
