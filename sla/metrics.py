"""SLA compliance: the share of targets met, per policy, group, priority, metric or period.

Counted over clocks that stopped met or breached within ``[start, end)``; cancelled
clocks measure nothing and are left out. A clock that breached and then met a later,
re-targeted deadline (a priority change after the breach) counts as breached: a breach
is never undone (``Clock.first_breached_at``). With ``include_running`` a clock that is
still running (or paused) but already breached within the range counts as breached
now, rather than only when its ticket is finally resolved.

One aggregate query per report, served by the partial index on stopped clocks.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from core.exceptions import ValidationFailed
from sla.models import Clock, Metric
from tickets.models import Priority
from tickets.registry import ticket_models

GROUPINGS = ("policy", "group", "priority", "metric", "period")
PERIODS = {"month": TruncMonth, "week": TruncWeek, "day": TruncDay}

# group_by -> (key column, label column or None)
_COLUMNS = {
    "policy": ("policy_id", "policy__name"),
    "group": ("assignment_group_id", "assignment_group__name"),
    "priority": ("priority", None),
    "metric": ("metric", None),
}


def _check(start, end, group_by, period, ticket_type) -> None:
    errors: dict[str, list[str]] = {}
    for field, moment in (("start", start), ("end", end)):
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            errors[field] = ["Give a date-time with a UTC offset."]
    if not errors and start >= end:
        errors["end"] = ["The end must be after the start."]
    if group_by not in GROUPINGS:
        errors["group_by"] = [f"Choose one of: {', '.join(GROUPINGS)}."]
    if period not in PERIODS:
        errors["period"] = [f"Choose one of: {', '.join(PERIODS)}."]
    labels = {model._meta.label_lower for model in ticket_models()}
    if ticket_type and ticket_type not in labels:
        errors["ticket_type"] = [f"Unknown ticket type '{ticket_type}': choose {', '.join(sorted(labels))}."]
    if errors:
        raise ValidationFailed("The compliance report could not be built.", fields=errors)


def _period_label(moment: datetime, period: str) -> str:
    if period == "month":
        return moment.strftime("%B %Y")
    if period == "week":
        return f"Week of {moment.date().isoformat()}"
    return moment.date().isoformat()


def compliance(*, start: datetime, end: datetime, group_by: str = "policy", period: str = "month",
               ticket_type: str | None = None, include_running: bool = False,
               time_zone: str | None = None) -> list[dict]:
    """Rows of ``{key, label, met, breached, total, compliance_percent}``, in the grouping's natural order.

    Periods are cut in ``time_zone`` (default: the active time zone); their key is the
    period's first day. ``compliance_percent`` is rounded to one decimal.
    """
    _check(start, end, group_by, period, ticket_type)
    stopped = Clock.State.STOPPED
    scope = Q(state=stopped, outcome__in=[Clock.Outcome.MET, Clock.Outcome.BREACHED],
              stopped_at__gte=start, stopped_at__lt=end)
    if include_running:
        scope |= Q(state__in=[Clock.State.RUNNING, Clock.State.PAUSED], first_breached_at__gte=start,
                   first_breached_at__lt=end)
    clocks = Clock.objects.filter(scope)
    if ticket_type:
        clocks = clocks.filter(ticket_type=ticket_type)

    if group_by == "period":
        zone = ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
        # A running clock has no stop: it counts in the period of its breach.
        clocks = clocks.annotate(bucket=PERIODS[period](Coalesce("stopped_at", "first_breached_at"), tzinfo=zone))
        key_column, label_column = "bucket", None
    else:
        key_column, label_column = _COLUMNS[group_by]
    columns = [key_column] + ([label_column] if label_column else [])
    rows = (clocks.values(*columns)
            .annotate(met=Count("id", filter=Q(state=stopped, outcome=Clock.Outcome.MET, first_breached_at__isnull=True)),
                      breached=Count("id", filter=Q(outcome=Clock.Outcome.BREACHED) | ~Q(state=stopped)
                                     | Q(first_breached_at__isnull=False)),
                      total=Count("id"))
            .order_by(F(key_column).asc(nulls_last=True)))

    result = []
    for row in rows:
        key = row[key_column]
        if group_by == "period":
            label = _period_label(key, period)
            key = key.date()
        elif group_by == "priority":
            label = Priority(key).label
        elif group_by == "metric":
            label = Metric(key).label
        else:
            label = row[label_column] or "No group"
        total = row["total"]
        result.append({"key": key, "label": label, "met": row["met"], "breached": row["breached"], "total": total,
                       "compliance_percent": round(100 * row["met"] / total, 1) if total else None})
    if group_by in ("policy", "group"):
        result.sort(key=lambda r: (r["key"] is None, r["label"].lower()))
    elif group_by == "metric":
        order = list(Metric.values)
        result.sort(key=lambda r: order.index(r["key"]))
    return result
