"""SLA badges for queue rows and the ticket page, and the ticket's SLA panel."""

from django import template
from django.utils import timezone

from sla.formatting import format_duration
from sla.models import Clock, Metric
from sla.queries import ClockStatus, schedule_for, status_of

register = template.Library()

# Response first: it is the one that runs out first and the one a new ticket is judged by.
METRIC_ORDER = {Metric.RESPONSE: 0, Metric.NEXT_REPLY: 1, Metric.RESOLUTION: 2}
LIVE_STATES = (Clock.State.RUNNING, Clock.State.PAUSED)


@register.simple_tag
def sla_statuses(clocks, *, cancelled=True) -> list[ClockStatus]:
    """``{% sla_statuses clocks as statuses %}``: one status per clock, response first, all measured at one instant."""
    now = timezone.now()
    ordered = sorted(clocks or (), key=lambda clock: METRIC_ORDER.get(clock.metric, 9))
    return [status_of(clock, now=now) for clock in ordered
            if cancelled or clock.outcome != Clock.Outcome.CANCELLED]


@register.inclusion_tag("sla/_badges.html")
def sla_badges(clocks):
    """Compact badges; cancelled clocks are left out (nothing to act on)."""
    return {"statuses": sla_statuses(clocks, cancelled=False)}


@register.filter
def sla_badge_text(status: ClockStatus) -> str:
    """"2h 15m left", "Breached 40m ago", "Paused · 1h left", "Met"; times are business time.

    A clock that breached and was then re-targeted to a later deadline says so in every state:
    "1h left · breached earlier", "Met after re-target, breached earlier".
    """
    clock, tone = status.clock, status.tone
    amount = format_duration(status.remaining_seconds, exact=False)
    if tone == "met":
        return "Met"
    if tone == "cancelled":
        return "Cancelled"
    if status.breached_earlier:
        if clock.state == Clock.State.STOPPED:
            return "Met after re-target, breached earlier"
        paused = "Paused · " if clock.state == Clock.State.PAUSED else ""
        return f"{paused}{amount} left · breached earlier"
    if tone == "breached":
        if status.remaining_seconds >= 0:
            text = "Breached"
        elif clock.state == Clock.State.STOPPED:
            text = f"Breached by {amount}"
        else:
            text = f"Breached {amount} ago"
        return f"{text} · paused" if clock.state == Clock.State.PAUSED else text
    if tone == "paused":
        return f"Paused · {amount} left"
    return f"{amount} left"


@register.filter
def sla_duration(seconds) -> str:
    """Business time as people read it ("2h 15m", "27h"); empty for no value."""
    return "" if seconds is None or seconds == "" else format_duration(seconds, exact=False)


@register.filter
def sla_percent(status: ClockStatus) -> int:
    """Elapsed share of the target for a progress bar, clamped to 0..100."""
    return max(0, min(100, int(round(status.elapsed_percent))))


@register.filter
def sla_is_live(statuses) -> bool:
    """Whether any clock still moves (worth polling for)."""
    return any(status.clock.state in LIVE_STATES for status in statuses or ())


@register.filter
def sla_resumes_at(status: ClockStatus):
    """For a running clock outside its calendar's working time: when it starts counting again (else None)."""
    clock = status.clock
    if clock.state != Clock.State.RUNNING:
        return None
    schedule, now = schedule_for(clock.calendar), timezone.now()
    if schedule.is_working(now):
        return None
    return next((start for start, _ in schedule.intervals_from(now)), None)
