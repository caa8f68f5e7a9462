"""The agent queue's rows as display values, built once per page in Python.

The queue is the page agents land on and re-poll every minute; its template used to work out
every cell per row (a ``{% url %}``, three ``|date`` and two ``|age`` filters, a template
include for the SLA badges, the row tags twice...), which was ~60% of the page's CPU (issue 9).
Here each row becomes a dict of ready values (dict lookups are the template engine's cheapest):
links from the detail URL's prefix, dates in the viewer's zone from one ``LocalDates``, ages from
one "now", and the extensions' columns from one ``cells()`` call per page. The markup stays in
``tickets/desk/_queue_rows.html``; tests/ui/test_queue_reference.py proves the page unchanged.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from core.display import LocalDates, compact_age
from core.urls import url_maker

def detail_url_maker(ticket_type):
    """``number -> URL`` of the type's desk detail page, reversed once."""
    return url_maker(reverse, "desk:detail", kwarg="number", kwargs={"type_slug": ticket_type.slug})


def _person(user) -> str:
    return user.full_name or user.email


def build(ticket_type, tickets, extension_list) -> list[dict]:
    """One dict per ticket with what each of the queue's columns shows (the template picks the type's columns)."""
    tickets = list(tickets)
    url_of = detail_url_maker(ticket_type)
    dates, now = LocalDates(), timezone.now()
    priority_labels = dict(ticket_type.model._meta.get_field("priority").flatchoices)
    state_labels = ticket_type.model.workflow.states
    extension_columns = [(extension.name, extension.cells(tickets)) for extension in extension_list
                         if extension.column_label]
    rows = []
    for index, ticket in enumerate(tickets):
        tags = ticket_type.row_tags(ticket)
        css = f"row-p{ticket.priority}" + "".join(" row-major" for _, tag_css, _ in tags if tag_css == "tag-major")
        group, assignee, category = ticket.assignment_group, ticket.assignee, ticket.category
        rows.append({
            "css": css,
            "url": url_of(ticket.number),
            "number": ticket.number,
            "priority": str(ticket.priority),  # a str prints as is; an int goes through number formatting
            "priority_label": priority_labels.get(ticket.priority, ticket.priority),
            "title": ticket.title,
            "tags": tags,
            "category": category.name if category is not None else "",
            "state": ticket.state,
            "state_label": state_labels.get(ticket.state, ticket.state),
            "extension_cells": [(name, cells[index]) for name, cells in extension_columns],
            "extra_cells": [column.value(ticket) or "—" for column in ticket_type.extra_columns],
            "requester": _person(ticket.requester),
            "group": (group.name if group is not None else "") or "—",
            "assignee": _person(assignee) if assignee is not None else None,
            "opened_iso": dates.iso(ticket.opened_at),
            "opened_long": dates.long(ticket.opened_at),
            "opened_short": dates.short(ticket.opened_at),
            "age": compact_age(ticket.opened_at, now),
            "updated_iso": dates.iso(ticket.updated_at),
            "updated_long": dates.long(ticket.updated_at),
            "updated_age": compact_age(ticket.updated_at, now),
        })
    return rows
