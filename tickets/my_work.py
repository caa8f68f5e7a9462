""""My work": every open ticket of every registered type that is the agent's to do.

Assigned to the agent, or unassigned in one of the agent's groups; most urgent first (priority,
then the soonest deadline an extension knows of, the SLA's resolution deadline, then age). One
UNION ALL over the types' tables reads a page, whatever the number of rows or types; extensions
add the deadline column (``TicketExtension.deadline(model)``), so the core never imports sla.
"""

from __future__ import annotations

from django.db.models import Count, DateTimeField, F, Q, Value

from tickets import extensions, types
from tickets.models import Priority
from tickets.queries import TypedRow, across_types

COLUMNS = ("type_index", "id", "number", "title", "state", "priority", "opened_at", "assignee_id",
           "assignment_group_id", "deadline")


def _rows_of(ticket_type, index: int, user, group_ids):
    model = ticket_type.model
    mine = Q(assignee=user) | Q(assignee__isnull=True, assignment_group_id__in=group_ids)
    rows = model.objects.filter(mine, state__in_constants=sorted(model.workflow.open_states))
    deadline = next((d for d in (e.deadline(model) for e in extensions.for_type(ticket_type)) if d is not None),
                    Value(None, output_field=DateTimeField()))
    return rows.annotate(type_index=Value(index), deadline=deadline).values(*COLUMNS)


def my_work(user, group_ids):
    """The agent's open work across types, as a sliceable, countable sequence of ``WorkRow``.

    ``group_ids``: the agent's assignment groups (``group_ids_of``), read once for the page.
    """
    ticket_types = types.all_types()
    parts = [_rows_of(ticket_type, index, user, group_ids) for index, ticket_type in enumerate(ticket_types)]
    return across_types(parts, ticket_types, row_class=WorkRow,
                        order=("priority", F("deadline").asc(nulls_last=True), "opened_at", "id"))


def group_ids_of(user) -> list[int]:
    return list(user.assignment_groups.values_list("pk", flat=True))


def counts(user, group_ids) -> list[dict]:
    """Open work per type (assigned to me / unassigned in my groups): one aggregate per type."""
    result = []
    for ticket_type in types.all_types():
        model = ticket_type.model
        values = model.objects.filter(state__in_constants=sorted(model.workflow.open_states)).aggregate(
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True, assignment_group_id__in=group_ids)))
        result.append({"ticket_type": ticket_type, **values, "total": values["mine"] + values["unassigned"]})
    return result


class WorkRow(TypedRow):
    def __init__(self, values: dict, ticket_type):
        super().__init__(values, ticket_type)
        self.priority_label = Priority(self.priority).label
        self.is_mine = self.assignee_id is not None
