""""My work": every open ticket of every registered type that is the agent's to do.

Assigned to the agent, or unassigned in one of the agent's groups; most urgent first (priority,
then the soonest deadline an extension knows of, the SLA's resolution deadline, then age). One
UNION ALL over the types' tables reads a page, whatever the number of rows or types; extensions
add the deadline column (``TicketExtension.deadline(model)``), so the core never imports sla.
"""

from __future__ import annotations

from django.db.models import DateTimeField, F, Q, Value

from tickets import extensions, types

COLUMNS = ("type_index", "id", "number", "title", "state", "priority", "opened_at", "assignee_id",
           "assignment_group_id", "deadline")


def _rows_of(ticket_type, index: int, user, group_ids):
    model = ticket_type.model
    mine = Q(assignee=user) | Q(assignee__isnull=True, assignment_group_id__in=group_ids)
    rows = model.objects.filter(mine, state__in=sorted(model.workflow.open_states))
    deadline = next((d for d in (e.deadline(model) for e in extensions.for_type(ticket_type)) if d is not None),
                    Value(None, output_field=DateTimeField()))
    return rows.annotate(type_index=Value(index), deadline=deadline).values(*COLUMNS)


def my_work(user):
    """The agent's open work across types, as a sliceable, countable sequence of ``WorkRow``."""
    group_ids = list(user.assignment_groups.values_list("pk", flat=True))
    ticket_types = types.all_types()
    parts = [_rows_of(ticket_type, index, user, group_ids) for index, ticket_type in enumerate(ticket_types)]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    ordered = union.order_by("priority", F("deadline").asc(nulls_last=True), "opened_at", "id")
    return WorkRows(ordered, ticket_types, group_ids)


def counts(user) -> list[dict]:
    """Open work per type (assigned to me / unassigned in my groups): one aggregate per type."""
    from django.db.models import Count

    group_ids = list(user.assignment_groups.values_list("pk", flat=True))
    result = []
    for ticket_type in types.all_types():
        model = ticket_type.model
        values = model.objects.filter(state__in=sorted(model.workflow.open_states)).aggregate(
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True, assignment_group_id__in=group_ids)))
        result.append({"ticket_type": ticket_type, **values, "total": values["mine"] + values["unassigned"]})
    return result


class WorkRows:
    def __init__(self, rows, ticket_types, group_ids):
        self.rows, self.ticket_types, self.group_ids = rows, ticket_types, group_ids

    def count(self) -> int:
        return self.rows.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        return [WorkRow(row, self.ticket_types[row["type_index"]]) for row in self.rows[key]]


class WorkRow:
    def __init__(self, values: dict, ticket_type):
        self.__dict__.update(values)
        self.ticket_type = ticket_type
        self.state_label = ticket_type.model.workflow.states.get(self.state, self.state)
        self.priority_label = dict(ticket_type.model._meta.get_field("priority").choices).get(self.priority, "")
        self.is_mine = self.assignee_id is not None
