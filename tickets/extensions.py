"""Hooks for the floors above the ticket core (SLA today; later approvals, CMDB impact).

The core never imports them: an extension registers itself here from its ``AppConfig.ready()``,
and a ticket type opts in by naming it (``TicketType(extensions=("sla",))``). What an extension
may contribute:

- ``filters(ticket_type)``: extra django-filter filters, added to the type's filterset (so the
  queue, the API and the OpenAPI schema all have them);
- ``sorts(ticket_type)``: extra queue sorts, ``{key: (label, fn(rows) -> orderable rows)}``;
- ``annotate(tickets)``: called with a page of tickets (or one) before rendering, e.g. to attach
  SLA clocks in one query; ``annotate_rows(tickets)``: the same for the queue's page of rows, where
  only what ``cells()`` shows is needed (default: ``annotate``);
- ``cell(ticket)``: HTML for the extension's queue column; ``column_label``; ``cells(tickets)``:
  the column for a page of rows at once (override it to do per-page work such as reading the
  clock and the viewer's zone once, not per row);
- ``head(ticket)``: HTML for badges in the detail page's header;
- ``side_template`` + ``side_context(ticket)``: a card in the detail page's sidebar;
- ``detail_fragment(request, ticket)``: answer an htmx refresh of that card (``?fragment=<name>``);
- ``deadline(model)``: an expression giving each ticket's next deadline, for "My work"'s order;
- ``api_fields(ticket_type)``: read-only fields the API adds to a ticket's full representation (the
  detail, and the body of a create, edit or action; never the list, whose rows stay one query), as
  ``{name: serializer field}`` for the OpenAPI schema; ``api_columns(ticket_type)``: expressions read
  in the detail's one query (``{name: expression}``, e.g. the ids of related rows), so a ticket with
  nothing to show costs no query more; ``api_detail(model, ticket_id, columns, context)``: the fields'
  values, from the ticket's model and id and those columns (None when they were not read, e.g. after
  an edit: the extension reads what it needs itself; each column None for a ticket just created, which
  nothing points at yet).
"""

from __future__ import annotations

_EXTENSIONS: dict[str, TicketExtension] = {}


class TicketExtension:
    name = ""
    column_label = ""
    side_template = ""

    def filters(self, ticket_type) -> dict:
        return {}

    def sorts(self, ticket_type) -> dict:
        return {}

    def annotate(self, tickets) -> None:
        pass

    def annotate_rows(self, tickets) -> None:
        self.annotate(tickets)

    def cell(self, ticket) -> str:
        return ""

    def cells(self, tickets) -> list[str]:
        return [self.cell(ticket) for ticket in tickets]

    def head(self, ticket) -> str:
        return ""

    def side_context(self, ticket) -> dict:
        return {}

    def detail_fragment(self, request, ticket):
        return None

    def deadline(self, model):
        return None

    def api_fields(self, ticket_type) -> dict:
        return {}

    def api_columns(self, ticket_type) -> dict:
        return {}

    def api_detail(self, model, ticket_id: int, columns: dict | None, context: dict) -> dict:
        return {}


def register(extension: TicketExtension) -> None:
    _EXTENSIONS[extension.name] = extension
    from tickets import types

    for ticket_type in types.all_types():
        if extension.name in ticket_type.extensions:
            _add_filters(ticket_type, extension)


def apply(ticket_type) -> None:
    """Called when a type registers: extensions already known add their filters now."""
    for extension in for_type(ticket_type):
        _add_filters(ticket_type, extension)


def _add_filters(ticket_type, extension) -> None:
    for name, filter_ in extension.filters(ticket_type).items():
        if name not in ticket_type.filterset.base_filters:
            ticket_type.filterset.base_filters[name] = filter_
            ticket_type.filterset.declared_filters[name] = filter_


def for_type(ticket_type) -> list[TicketExtension]:
    return [_EXTENSIONS[name] for name in ticket_type.extensions if name in _EXTENSIONS]


def annotate(ticket_type, tickets) -> None:
    for extension in for_type(ticket_type):
        extension.annotate(tickets)


def api_fields(ticket_type) -> dict:
    """The fields every extension of the type adds to the API's full representation, by name."""
    return {name: field for extension in for_type(ticket_type) for name, field in extension.api_fields(ticket_type).items()}


def api_columns(ticket_type) -> dict:
    return {name: expression for extension in for_type(ticket_type)
            for name, expression in extension.api_columns(ticket_type).items()}


def api_detail(ticket_type, ticket_id: int, columns: dict | None, context: dict) -> dict:
    """The added fields' values for one ticket, extension by extension."""
    added: dict = {}
    for extension in for_type(ticket_type):
        if extension.api_fields(ticket_type):
            added.update(extension.api_detail(ticket_type.model, ticket_id, columns, context))
    return added
