"""SLA badges for queue rows and the ticket page, and the ticket's SLA panel."""

from django import template
from django.utils import timezone

from core.display import LocalDates
from sla import badges
from sla.models import Clock
from sla.queries import ClockStatus, schedule_for

register = template.Library()

LIVE_STATES = (Clock.State.RUNNING, Clock.State.PAUSED)


@register.simple_tag
def sla_statuses(clocks, *, cancelled=True) -> list[ClockStatus]:
    """``{% sla_statuses clocks as statuses %}``: one status per clock, response first, all measured at one instant."""
    return badges.statuses(clocks, now=timezone.now(), cancelled=cancelled)


@register.simple_tag
def sla_badges(clocks):
    """Compact badges (sla.badges); cancelled clocks are left out (nothing to act on)."""
    return badges.badges_html(clocks, now=timezone.now(), dates=LocalDates())


@register.filter
def sla_badge_text(status: ClockStatus) -> str:
    """"2h 15m left", "Breached 40m ago", "Paused · 1h left", "Met" (sla.badges.badge_text)."""
    return badges.badge_text(status)


@register.filter
def sla_duration(seconds) -> str:
    """Business time as people read it ("2h 15m", "27h"); empty for no value."""
    return badges.target_text(seconds)


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
