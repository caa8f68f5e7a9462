"""Read paths for incidents: every page and endpoint asks here for exactly what it shows."""

from django.db.models import Count, Q, QuerySet

from incidents.models import Incident
from incidents.workflow import OPEN

LIST_RELATED = ("requester", "assignee", "assignment_group", "category")


def visible_to(user) -> QuerySet:
    """Agents see all of the tenant's incidents; requesters only those they raised or watch."""
    qs = Incident.objects.all()
    if user.is_agent:
        return qs
    return qs.filter(Q(requester=user) | Q(watchers=user)).distinct()


def for_list(user) -> QuerySet:
    return visible_to(user).select_related(*LIST_RELATED)


def for_detail(user) -> QuerySet:
    return visible_to(user).select_related(*LIST_RELATED, "parent", "created_by").prefetch_related("watchers")


def agent_queue(user) -> QuerySet:
    """The agent queue's base: open work first, highest priority, oldest first."""
    return for_list(user).order_by("priority", "opened_at", "id")


def queue_counters(user) -> dict:
    """Counters shown above the queue; one aggregate query over the open-state partial index."""
    return Incident.objects.filter(state__in=OPEN).aggregate(
        open=Count("id"),
        mine=Count("id", filter=Q(assignee=user)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        major=Count("id", filter=Q(is_major=True)),
        critical=Count("id", filter=Q(priority=1)),
    )


class SlaDeadlineOrder:
    """The filtered incidents in SLA order, for the queue's paginator (it needs ``count()`` and slicing).

    Incidents with a running resolution clock come first, soonest deadline first (so breached
    ones lead); the rest follow in the queue's default order. A page is read from the clocks'
    running-deadline index and joined to the filtered incidents, instead of sorting every
    open incident by a correlated subquery (measured: ~300 ms at 50k open incidents).
    """

    DEFAULT_ORDER = ("priority", "opened_at", "id")

    def __init__(self, rows: QuerySet):
        self.rows = rows

    def count(self) -> int:
        return self.rows.count()

    @staticmethod
    def _running():
        from sla import queries as sla_queries
        from sla.models import Metric

        return sla_queries.running_clocks(Incident, Metric.RESOLUTION)

    def _clocked_ids(self):
        return (self._running().filter(ticket_id__in=self.rows.values("pk"))
                .order_by("deadline", "ticket_id").values_list("ticket_id", flat=True))

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        start, stop = key.start or 0, key.stop
        ids = list(self._clocked_ids()[start:stop])
        found = self.rows.in_bulk(ids)
        page = [found[pk] for pk in ids if pk in found]
        missing = stop - start - len(ids)
        if missing > 0:
            clocked = start + len(ids) if ids else self._clocked_ids().count()
            rest = self.rows.exclude(pk__in=self._running().values("ticket_id")).order_by(*self.DEFAULT_ORDER)
            offset = max(0, start - clocked)
            page += list(rest[offset:offset + missing])
        return page
