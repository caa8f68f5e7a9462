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
