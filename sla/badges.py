"""SLA badges as HTML, built in Python: the queue shows them on every row, the ticket page in its header.

One badge per clock, response first, cancelled clocks left out (nothing to act on); each says
its metric, the business time left or overdue, and in its tooltip the deadline (or when it
stopped), the target and the calendar. Built here rather than by a template per row because
the queue renders up to a hundred rows of them (issue 9: including a template per row was the
largest part of the queue's CPU); the ``{% sla_badges %}`` tag uses the same function, so the
queue and the ticket page cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe

from core.display import LocalDates
from sla.formatting import format_duration
from sla.models import Clock, Metric
from sla.queries import ClockStatus, status_of

# Response first: it is the one that runs out first and the one a new ticket is judged by.
METRIC_ORDER = {Metric.RESPONSE: 0, Metric.NEXT_REPLY: 1, Metric.RESOLUTION: 2}
ICONS = {"met": "✓", "breached": "!"}


def statuses(clocks, *, now: datetime, cancelled: bool = True) -> list[ClockStatus]:
    """One status per clock, response first, all measured at ``now``."""
    ordered = sorted(clocks or (), key=lambda clock: METRIC_ORDER.get(clock.metric, 9))
    return [status_of(clock, now=now) for clock in ordered
            if cancelled or clock.outcome != Clock.Outcome.CANCELLED]


def badge_text(status: ClockStatus) -> str:
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


def target_text(seconds) -> str:
    """Business time as people read it ("2h 15m", "27h"); empty for no value."""
    return "" if seconds is None or seconds == "" else format_duration(seconds, exact=False)


def badge_html(status: ClockStatus, dates: LocalDates) -> str:
    clock, tone = status.clock, status.tone
    label = escape(status.label)
    if clock.state == Clock.State.STOPPED:
        when = f"stopped {dates.day_time(clock.stopped_at)}"
    else:
        when = f"due {dates.long(clock.deadline)}"
    title = f"{label} {escape(when)} · target {escape(target_text(clock.target_seconds))} ({escape(clock.calendar.name)})"
    return (f'<span class="sla sla-{escape(tone)}" data-sla="{escape(clock.metric)}" title="{title}">'
            f'<span class="sla-icon" aria-hidden="true">{ICONS.get(tone, "")}</span>'
            f'<span class="sla-metric">{label}</span> <span class="sla-time">{escape(badge_text(status))}</span></span>')


def badges_html(clocks, *, now: datetime, dates: LocalDates) -> SafeString:
    """The compact badges of one ticket's clocks (cancelled ones left out)."""
    return mark_safe("".join(badge_html(status, dates) for status in statuses(clocks, now=now, cancelled=False)))
