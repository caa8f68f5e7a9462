"""Reads: cached schedules, the clocks of a page of tickets, remaining business time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from sla import business_time
from sla.business_time import Schedule
from sla.models import Calendar, Clock

# (schema, calendar id, calendar.updated_at) -> Schedule. Calendars change rarely; every
# change bumps updated_at, so a stale entry is simply never asked for again.
_schedules: dict[tuple[str, int, datetime], Schedule] = {}
_MAX_CACHED = 2048


def schedule_for(calendar: Calendar) -> Schedule:
    key = (connection.schema_name, calendar.pk, calendar.updated_at)
    schedule = _schedules.get(key)
    if schedule is None:
        if len(_schedules) >= _MAX_CACHED:
            _schedules.clear()
        schedule = _schedules[key] = calendar.schedule()
    return schedule


# What a badge reads of a clock and its calendar (sla.badges, status_of, the schedule on a cache miss).
BADGE_FIELDS = ("ticket_id", "metric", "state", "outcome", "target_seconds", "deadline", "pauses", "stopped_at",
                "breached_at", "first_breached_at", "calendar__name", "calendar__updated_at", "calendar__is_24x7",
                "calendar__time_zone")


def clocks_for(tickets, *, metrics=None) -> dict[int, list[Clock]]:
    """The clocks of a page of tickets of one type, in one query: {ticket id: [clocks]}."""
    return _clocks_of(tickets, metrics, Clock.objects.select_related("calendar", "policy"))


def badge_clocks_for(tickets) -> dict[int, list[Clock]]:
    """``clocks_for`` with only what the badges show (the queue's rows): no policy, no bookkeeping columns.

    A badge that starts reading another field must add it here (else one query per clock).
    """
    return _clocks_of(tickets, None, Clock.objects.select_related("calendar").only(*BADGE_FIELDS))


def _clocks_of(tickets, metrics, clocks) -> dict[int, list[Clock]]:
    tickets = list(tickets)
    if not tickets:
        return {}
    label = tickets[0]._meta.label_lower
    qs = clocks.filter(ticket_type=label, ticket_id__in=[t.pk for t in tickets])
    if metrics:
        qs = qs.filter(metric__in=metrics)
    found: dict[int, list[Clock]] = defaultdict(list)
    for clock in qs:
        found[clock.ticket_id].append(clock)
    return found


@dataclass(frozen=True)
class ClockStatus:
    """What a badge shows: the state, the business time left (negative once breached) and a colour."""

    clock: Clock
    remaining_seconds: float
    elapsed_percent: float
    tone: str  # ok | warning | breached | paused | met | cancelled

    @property
    def label(self) -> str:
        return self.clock.get_metric_display()

    @property
    def breached_earlier(self) -> bool:
        """Within its current deadline, but that deadline was moved out after an earlier one was breached."""
        return self.clock.breached_earlier and self.remaining_seconds >= 0


def status_of(clock: Clock, *, now: datetime | None = None, warn_percent: float = 75) -> ClockStatus:
    now = now or timezone.now()
    schedule = schedule_for(clock.calendar)
    if clock.state == Clock.State.STOPPED:
        end = clock.stopped_at or now
        tone = clock.outcome or Clock.Outcome.MET
        if tone == Clock.Outcome.MET and clock.first_breached_at:  # met a re-targeted deadline: still a breach
            tone = "breached"
    else:
        end = clock.open_pause_since or now if clock.state == Clock.State.PAUSED else now
        tone = None
    if end <= clock.deadline:
        remaining = business_time.between(schedule, end, clock.deadline)
    else:
        remaining = -business_time.between(schedule, clock.deadline, end)
    elapsed = 100.0 * (clock.target_seconds - remaining) / clock.target_seconds if clock.target_seconds else 100.0
    if tone is None:
        if remaining < 0 or clock.first_breached_at:
            tone = "breached"
        elif clock.state == Clock.State.PAUSED:
            tone = "paused"
        elif elapsed >= warn_percent:
            tone = "warning"
        else:
            tone = "ok"
    return ClockStatus(clock, remaining, elapsed, tone)


def running_clocks(ticket_model, metric: str | None = None):
    """Running clocks of a ticket type (optionally one metric): the rows of the running-deadline index."""
    qs = Clock.objects.filter(ticket_type=ticket_model._meta.label_lower, state=Clock.State.RUNNING)
    return qs.filter(metric=metric) if metric else qs


def running_deadline_before(ticket_model, moment: datetime):
    """Ticket ids of ``ticket_model`` with a running clock due before ``moment`` (the "breaching soon" filter)."""
    return Clock.objects.filter(ticket_type=ticket_model._meta.label_lower, state=Clock.State.RUNNING,
                                deadline__lte=moment).values("ticket_id")
