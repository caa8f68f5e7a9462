"""How problems meet the tickets they explain: one link kind on the shared ticket links.

"PRB0001001 problem of INC0001001", read from the incident as "has problem". Incidents (and later
other types) never import this app: they see the link on their page through tickets.links and
the known-error card through the extension in problems.extension.
"""

from tickets.links import kinds
from tickets.links import queries as link_queries
from tickets.links import services as link_services

PROBLEM_OF = kinds.register(kinds.LinkKind(
    "problem_of", "problem of", "has problem",
    source_types={"problems.problem"}, target_types={"incidents.incident"}))


def link(problem, ticket, *, by):
    return link_services.link_tickets(problem, ticket, PROBLEM_OF.name, by=by)


def linked(problem) -> list:
    """The tickets a problem explains, as links (the other ticket has number, title and state)."""
    return [item for item in link_queries.links_of(problem) if item.kind.name == PROBLEM_OF.name and item.is_source]


def open_linked_tickets(problem) -> list:
    """Full rows of the problem's linked tickets that are still open, locked for update, by number."""
    by_model: dict = {}
    for item in linked(problem):
        by_model.setdefault(type(item.other), []).append(item.other.pk)
    tickets = []
    for model, ids in by_model.items():
        rows = model.objects.select_for_update().filter(pk__in=ids, state__in=sorted(model.workflow.open_states))
        tickets.extend(rows.order_by("number"))
    return tickets


def problems_of(ticket) -> list:
    """The problems linked to ``ticket`` (id, number, title, state loaded)."""
    return [item.other for item in link_queries.links_of(ticket)
            if item.kind.name == PROBLEM_OF.name and not item.is_source]
