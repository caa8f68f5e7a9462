"""SLA configuration writes: calendars (hours, holidays) and policies (targets, escalations).

Every write is keyword-only, needs a tenant admin (``NotPermitted`` otherwise) and runs in
one transaction: bad input raises ``ValidationFailed`` with messages per field and saves
nothing. Field keys of nested rows are dotted paths (``targets.1.duration_seconds``), like
the API's error format.

When changes take effect:

- A policy change applies to tickets created (or re-matched, e.g. on a priority change)
  afterwards. A running clock keeps the policy, target duration and calendar it started
  with: they are copied onto the clock. Escalation rules, however, are read when a
  threshold comes due, so they apply to running clocks too; a rule that is kept (same
  metric, threshold and action) keeps its row, so it does not fire a second time.
- Every calendar change bumps ``Calendar.updated_at``, the key of cached schedules
  (``sla.queries.schedule_for``), so remaining time is measured on the new hours at once.
  A calendar edit does not move the deadlines stored on running clocks; the engine
  recomputes a clock's deadline on its next event (resume, re-open, re-target).

Also here: text/"HH:MM" parsing for forms and the API, and the calendar what-if
calculators (a due date from a start and a duration, business time between instants).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.time_zones import validate_time_zone
from sla import business_time, services
from sla.models import (
    Calendar,
    Clock,
    EscalationRule,
    Holiday,
    Metric,
    Policy,
    Target,
    Weekday,
    WorkingHours,
    format_minute,
)
from core.exceptions import NotPermitted, ValidationFailed
from sla.queries import schedule_for
from tickets.models import Channel, Priority
from tickets.registry import ticket_models

__all__ = [
    "PolicyRemoval", "business_seconds_between", "calendar_fields", "day_name", "delete_calendar", "delete_policy",
    "due_after",
    "format_holidays", "format_hours", "format_minute", "import_holidays", "parse_holidays", "parse_hours",
    "parse_minute", "policy_fields", "save_calendar", "save_policy",
]

DAY = business_time.DAY_MINUTES
FULL_WEEK = tuple((day, 0, DAY) for day in range(7))
HOLIDAY_YEARS = (1970, 2100)
# PositiveIntegerField holds up to 2**31-1 seconds; a year is a generous ceiling for any target.
MAX_TARGET_SECONDS = 366 * 86400
# What-if calculators look this far at most (business_time searches up to MAX_SEARCH_DAYS ahead).
MAX_WHAT_IF_SECONDS = 366 * 86400
MAX_WHAT_IF_SPAN = timedelta(days=business_time.MAX_SEARCH_DAYS)

# "monday" and "mon" -> 0, ...
_DAY_NAMES = {name: value for value, label in Weekday.choices for name in (label.lower(), label[:3].lower())}


def day_name(weekday: int) -> str:
    return Weekday(weekday).label


def _require_admin(by, what: str) -> None:
    if not getattr(by, "is_tenant_admin", False):
        raise NotPermitted(f"Only tenant admins can {what}.")


def _bump(previous: datetime | None) -> datetime:
    """A fresh ``updated_at``, strictly later than the previous one (it keys the schedule cache)."""
    now = timezone.now()
    if previous is not None and now <= previous:
        now = previous + timedelta(microseconds=1)
    return now


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _names(items) -> str:
    return ", ".join(f"'{item}'" for item in items)


# -- "HH:MM" and text forms ---------------------------------------------------------------------

_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_minute(text: str, *, end: bool = False) -> int:
    """'09:30' -> 570. '24:00' (= 1440) only as an end. Raises ValueError with a message for people."""
    match = _CLOCK_TIME.match((text or "").strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{text}' is not a time of day (use HH:MM, e.g. 09:00).")
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0:
        if not end:
            raise ValueError("24:00 can only end an interval; start the day at 00:00.")
        return DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{text}' is not a time of day (use 00:00 to 23:59, or 24:00 as an end).")
    return hours * 60 + minutes


def _parse_days(token: str) -> list[int] | None:
    first, _, last = token.lower().partition("-")
    if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
        return None
    start = _DAY_NAMES[first]
    stop = _DAY_NAMES[last] if last else start
    return [(start + offset) % 7 for offset in range((stop - start) % 7 + 1)]


def parse_hours(text: str) -> list[tuple[int, int, int]]:
    """Lines like ``Mon-Fri 09:00-12:00, 13:00-17:00`` or ``Saturday 10:00-14:00`` -> (weekday, start, end) rows.

    Blank lines and lines starting with ``#`` are skipped. Overlaps and inverted intervals are
    left to ``save_calendar``, which names the day.
    """
    rows, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        token, _, rest = line.partition(" ")
        days = _parse_days(token)
        if days is None:
            problems.append(f"Line {number}: '{token}' is not a day or day range (e.g. Mon, Friday, Mon-Fri).")
            continue
        spans = [part.strip() for part in rest.split(",") if part.strip()]
        if not spans:
            problems.append(f"Line {number}: give the hours after the day, e.g. 'Mon-Fri 09:00-17:00'.")
        for span in spans:
            start_text, dash, end_text = span.partition("-")
            if not dash:
                problems.append(f"Line {number}: '{span}' is not a time range (use HH:MM-HH:MM).")
                continue
            try:
                start, end = parse_minute(start_text.strip()), parse_minute(end_text.strip(), end=True)
            except ValueError as exc:
                problems.append(f"Line {number}: {exc}")
                continue
            rows.extend((day, start, end) for day in days)
    if problems:
        raise ValidationFailed("The working hours could not be read.", fields={"hours": problems})
    return rows


def format_hours(rows) -> str:
    """The inverse of ``parse_hours``: consecutive days with the same hours share a line (``Mon-Fri``)."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in rows:
        by_day.setdefault(weekday, []).append((start, end))
    lines, day = [], 0
    while day < 7:
        spans = sorted(by_day.get(day, []))
        last = day
        while last + 1 < 7 and sorted(by_day.get(last + 1, [])) == spans:
            last += 1
        if spans:
            days = day_name(day)[:3] if last == day else f"{day_name(day)[:3]}-{day_name(last)[:3]}"
            lines.append(f"{days} " + ", ".join(f"{format_minute(s)}-{format_minute(e)}" for s, e in spans))
        day = last + 1
    return "\n".join(lines)


def parse_holidays(text: str) -> list[tuple[date, str]]:
    """Lines ``YYYY-MM-DD Name`` -> (date, name) rows; blank lines and ``#`` comments are skipped."""
    rows, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        token, _, name = line.partition(" ")
        name = name.strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
                raise ValueError
            day = date.fromisoformat(token)
        except ValueError:
            problems.append(f"Line {number}: '{token}' is not a date (use YYYY-MM-DD).")
            continue
        if not name:
            problems.append(f"Line {number}: give the holiday a name after the date, e.g. '{token} New Year'.")
        elif len(name) > 100:
            problems.append(f"Line {number}: the name is longer than 100 characters.")
        else:
            rows.append((day, name))
    if problems:
        raise ValidationFailed("The holidays could not be read.", fields={"holidays": problems})
    return rows


def format_holidays(rows) -> str:
    return "\n".join(f"{day.isoformat()} {name}" for day, name in sorted(rows))


# -- calendars ---------------------------------------------------------------------------------

def calendar_fields(calendar: Calendar) -> dict:
    """The current values as ``save_calendar`` arguments (for forms and partial API updates)."""
    return {
        "name": calendar.name, "description": calendar.description, "time_zone": calendar.time_zone,
        "hours": [(h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all()],
        "holidays": [(h.date, h.name) for h in calendar.holidays.all()],
    }


def _check_label(errors: dict, model, name: str, description: str, instance, noun: str) -> tuple[str, str]:
    """A unique name (case-insensitive) and an optional description, both trimmed."""
    name, description = (name or "").strip(), (description or "").strip()
    if len(description) > 300:
        _add(errors, "description", "At most 300 characters.")
    if not name:
        _add(errors, "name", "A name is required.")
    elif len(name) > 100:
        _add(errors, "name", "At most 100 characters.")
    elif model.objects.filter(name__iexact=name).exclude(pk=getattr(instance, "pk", None)).exists():
        _add(errors, "name", f"A {noun} called '{name}' already exists.")
    return name, description


def _check_hours(errors: dict, hours) -> list[tuple[int, int, int]]:
    rows = []
    for row in hours:
        try:
            weekday, start, end = row
        except (TypeError, ValueError):
            _add(errors, "hours", f"{row!r} is not a (weekday, start minute, end minute) row.")
            continue
        if not all(_is_int(v) for v in (weekday, start, end)):
            _add(errors, "hours", f"{row!r}: weekday and minutes must be whole numbers.")
            continue
        if not 0 <= weekday <= 6:
            _add(errors, "hours", f"Weekday {weekday} does not exist: use 0 (Monday) to 6 (Sunday).")
            continue
        span = f"{day_name(weekday)} {format_minute(max(start, 0))}-{format_minute(max(end, 0))}"
        if start < 0 or end > DAY:
            _add(errors, "hours", f"{span}: working hours lie between 00:00 and 24:00.")
        elif start >= end:
            _add(errors, "hours", f"{span}: the end must be after the start.")
        else:
            rows.append((weekday, start, end))
    for weekday in range(7):
        spans = sorted((s, e) for d, s, e in rows if d == weekday)
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            if s2 < e1:
                _add(errors, "hours", f"{day_name(weekday)} {format_minute(s1)}-{format_minute(e1)} "
                                      f"overlaps {format_minute(s2)}-{format_minute(e2)}.")
    if not rows and "hours" not in errors:
        _add(errors, "hours", "Add working hours: a calendar without working time could never meet a target.")
    return sorted(rows)


def _check_holidays(errors: dict, holidays) -> list[tuple[date, str]]:
    rows, seen = [], set()
    for row in holidays:
        try:
            day, name = row
        except (TypeError, ValueError):
            _add(errors, "holidays", f"{row!r} is not a (date, name) row.")
            continue
        if not isinstance(day, date) or isinstance(day, datetime):
            _add(errors, "holidays", f"{day!r} is not a date.")
            continue
        name = (name or "").strip()
        if not name:
            _add(errors, "holidays", f"{day.isoformat()}: a name is required.")
        elif len(name) > 100:
            _add(errors, "holidays", f"{day.isoformat()}: the name is longer than 100 characters.")
        elif day in seen:
            _add(errors, "holidays", f"{day.isoformat()} is listed twice.")
        else:
            seen.add(day)
            rows.append((day, name))
    return rows


@transaction.atomic
def save_calendar(*, by, calendar: Calendar | None = None, name: str, time_zone: str, description: str = "",
                  hours, holidays=None) -> Calendar:
    """Create or edit a calendar. ``hours`` replace all rows; ``holidays`` too unless None (kept).

    The built-in 24x7 calendar may be renamed, described and moved to another zone, but it
    always works round the clock and has no holidays: ``hours`` must be empty (unchanged) or
    the full week.
    """
    _require_admin(by, "change SLA calendars")
    if calendar is not None:
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    errors: dict[str, list[str]] = {}
    name, description = _check_label(errors, Calendar, name, description, calendar, "calendar")
    time_zone = (time_zone or "").strip()
    if not time_zone:
        _add(errors, "time_zone", "A time zone is required, e.g. Europe/Berlin.")
    else:
        try:
            validate_time_zone(time_zone)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    is_24x7 = calendar is not None and calendar.is_24x7
    hour_rows = holiday_rows = None
    if is_24x7:
        if hours and sorted(tuple(row) for row in hours) != list(FULL_WEEK):
            _add(errors, "hours", "The built-in 24x7 calendar works round the clock; its hours cannot be changed.")
        if holidays:
            _add(errors, "holidays", "The built-in 24x7 calendar has no holidays: it counts every day.")
    else:
        hour_rows = _check_hours(errors, list(hours or []))
        if holidays is not None:
            holiday_rows = _check_holidays(errors, list(holidays))
    if errors:
        raise ValidationFailed("The calendar was not saved.", fields=errors)

    calendar = calendar or Calendar()
    calendar.name, calendar.description, calendar.time_zone = name, description, time_zone
    calendar.updated_at = _bump(calendar.updated_at if calendar.pk else None)
    calendar.save()
    if hour_rows is not None:
        calendar.hours.all().delete()
        WorkingHours.objects.bulk_create(
            [WorkingHours(calendar=calendar, weekday=d, start_minute=s, end_minute=e) for d, s, e in hour_rows])
    if holiday_rows is not None:
        calendar.holidays.all().delete()
        Holiday.objects.bulk_create([Holiday(calendar=calendar, date=d, name=n) for d, n in holiday_rows])
    return calendar


def _supported_countries() -> dict[str, list[str]]:
    import holidays

    return holidays.list_supported_countries()


@transaction.atomic
def import_holidays(*, by, calendar: Calendar, country: str, subdivision: str = "", years) -> int:
    """Add a country's (or subdivision's) public holidays for ``years``; dates already present are kept."""
    import holidays

    _require_admin(by, "change SLA calendars")
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    errors: dict[str, list[str]] = {}
    if calendar.is_24x7:
        raise ValidationFailed("The built-in 24x7 calendar has no holidays: it counts every day.")
    supported = _supported_countries()
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip()
    if not country:
        _add(errors, "country", "A country code is required, e.g. DE, GB or US.")
    elif country not in supported:
        _add(errors, "country", f"Unknown country code '{country}': use an ISO 3166 code such as DE, GB or US.")
    elif subdivision:
        known = {code.upper(): code for code in supported[country]}
        if subdivision.upper() not in known:
            hint = f"Known: {', '.join(supported[country])}." if supported[country] else "It has no subdivisions."
            _add(errors, "subdivision", f"'{subdivision}' is not a subdivision of {country}. {hint}")
        else:
            subdivision = known[subdivision.upper()]
    years = list(years or [])
    if not years:
        _add(errors, "years", "Name at least one year.")
    low, high = HOLIDAY_YEARS
    bad = [year for year in years if not _is_int(year) or not low <= year <= high]
    if bad:
        _add(errors, "years", f"Years must lie between {low} and {high} (not {', '.join(map(str, bad))}).")
    if errors:
        raise ValidationFailed("No holidays were imported.", fields=errors)

    try:
        found = holidays.country_holidays(country, subdiv=subdivision or None, years=sorted(set(years)))
    except NotImplementedError as exc:  # the package's way of refusing a country or subdivision
        raise ValidationFailed("No holidays were imported.", fields={"country": [str(exc)]})
    present = set(calendar.holidays.values_list("date", flat=True))
    new = [Holiday(calendar=calendar, date=day, name="; ".join(found.get_list(day))[:100])
           for day in sorted(found) if day not in present]
    if new:
        Holiday.objects.bulk_create(new)
        calendar.updated_at = _bump(calendar.updated_at)
        calendar.save(update_fields=["updated_at"])
    return len(new)


@transaction.atomic
def delete_calendar(*, by, calendar: Calendar) -> None:
    _require_admin(by, "delete SLA calendars")
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    if calendar.is_24x7:
        raise ValidationFailed("The built-in 24x7 calendar cannot be deleted.")
    by_targets = sorted(set(Target.objects.filter(calendar=calendar).values_list("policy__name", flat=True)))
    by_clocks = sorted(set(Clock.objects.filter(calendar=calendar).values_list("policy__name", flat=True)))
    if by_targets or by_clocks:
        uses = []
        if by_targets:
            uses.append(f"targets of policies {_names(by_targets)}")
        if by_clocks:
            uses.append(f"clocks measured under policies {_names(by_clocks)}")
        raise ValidationFailed(f"The calendar '{calendar.name}' is in use ({'; '.join(uses)}) and was not deleted. "
                               "Move those targets to another calendar; a calendar that clocks were measured on "
                               "stays for their history.")
    calendar.delete()


# -- what-if -----------------------------------------------------------------------------------

def due_after(*, calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """When ``seconds`` of the calendar's business time have elapsed after ``start``."""
    if timezone.is_naive(start):
        raise ValidationFailed("The start needs a UTC offset.", fields={"start": ["Include a UTC offset or Z."]})
    if seconds < 0 or seconds > MAX_WHAT_IF_SECONDS:
        raise ValidationFailed("The duration is out of range.",
                               fields={"duration": [f"Give 0 to {MAX_WHAT_IF_SECONDS // 86400} days "
                                                    "of business time."]})
    try:
        return business_time.add(schedule_for(calendar), start, seconds)
    except business_time.NoWorkingTime:
        raise ValidationFailed("The calendar has too little working time for that duration.",
                               fields={"duration": [f"No due date within {business_time.MAX_SEARCH_DAYS} days."]})


def business_seconds_between(*, calendar: Calendar, start: datetime, end: datetime) -> float:
    errors: dict[str, list[str]] = {}
    for field, moment in (("start", start), ("end", end)):
        if timezone.is_naive(moment):
            _add(errors, field, "Include a UTC offset or Z.")
    if not errors and end < start:
        _add(errors, "end", "The end must not be before the start.")
    elif not errors and end - start > MAX_WHAT_IF_SPAN:
        _add(errors, "end", f"At most {MAX_WHAT_IF_SPAN.days} days after the start.")
    if errors:
        raise ValidationFailed("Business time could not be measured.", fields=errors)
    return business_time.between(schedule_for(calendar), start, end)


# -- policies ----------------------------------------------------------------------------------

def policy_fields(policy: Policy) -> dict:
    """The current values as ``save_policy`` arguments (for forms and partial API updates)."""
    return {
        "name": policy.name, "description": policy.description, "ticket_type": policy.ticket_type,
        "order": policy.order, "is_active": policy.is_active, "categories": list(policy.categories.all()),
        "channels": list(policy.channels), "requester_vip": policy.requester_vip,
        "pause_states": list(policy.pause_states),
        "targets": [{"metric": t.metric, "priority": t.priority, "duration_seconds": t.duration_seconds,
                     "calendar": t.calendar} for t in policy.targets.select_related("calendar")],
        "escalations": [{"metric": r.metric, "threshold": r.threshold, "action": r.action, "group": r.group,
                         "assignee": r.assignee, "users": list(r.users.all())}
                        for r in policy.escalations.select_related("group", "assignee").prefetch_related("users")],
    }


def _label(choices, value) -> str:
    return dict(choices.choices).get(value, str(value))


def _check_targets(errors: dict, targets) -> list[dict]:
    rows, seen = [], set()
    for index, target in enumerate(targets):
        at = f"targets.{index}"
        metric, priority = target.get("metric"), target.get("priority")
        seconds, calendar = target.get("duration_seconds"), target.get("calendar")
        ok = True
        if metric not in Metric.values:
            _add(errors, f"{at}.metric", f"Unknown metric '{metric}': choose {', '.join(Metric.values)}.")
            ok = False
        if priority not in Priority.values:
            _add(errors, f"{at}.priority", "Priority must be 1 to 5.")
            ok = False
        if not _is_int(seconds) or seconds <= 0:
            _add(errors, f"{at}.duration_seconds", "Must be a positive whole number of seconds.")
            ok = False
        elif seconds > MAX_TARGET_SECONDS:
            _add(errors, f"{at}.duration_seconds", f"At most {MAX_TARGET_SECONDS // 86400} days.")
            ok = False
        if not isinstance(calendar, Calendar):
            _add(errors, f"{at}.calendar", "A calendar is required.")
            ok = False
        if ok and (metric, priority) in seen:
            _add(errors, "targets", f"{_label(Metric, metric)} at P{priority} has more than one target.")
        elif ok:
            seen.add((metric, priority))
            rows.append({"metric": metric, "priority": priority, "duration_seconds": seconds, "calendar": calendar})
    if not targets:
        _add(errors, "targets", "Add at least one target: without targets the policy matches nothing to measure.")
    return rows


def _check_escalations(errors: dict, escalations, target_metrics: set[str]) -> list[dict]:
    rows, seen = [], set()
    for index, rule in enumerate(escalations):
        at = f"escalations.{index}"
        metric, threshold, action = rule.get("metric"), rule.get("threshold"), rule.get("action")
        group, assignee, users = rule.get("group"), rule.get("assignee"), list(rule.get("users") or ())
        before = len(errors)
        if metric not in Metric.values:
            _add(errors, f"{at}.metric", f"Unknown metric '{metric}': choose {', '.join(Metric.values)}.")
        elif metric not in target_metrics:
            _add(errors, f"{at}.metric", f"The policy has no {_label(Metric, metric).lower()} target to escalate on.")
        if not _is_int(threshold) or not 1 <= threshold <= 1000:
            _add(errors, f"{at}.threshold", "Must be 1 to 1000 percent of the target (100 is the breach).")
        if action not in EscalationRule.Action.values:
            _add(errors, f"{at}.action",
                 f"Unknown action '{action}': choose {', '.join(EscalationRule.Action.values)}.")
        if action == EscalationRule.Action.REASSIGN:
            if group is None:
                _add(errors, f"{at}.group", "Reassigning needs a group.")
            elif not group.is_active:
                _add(errors, f"{at}.group", f"The group '{group}' is inactive.")
            elif assignee is not None and not group.members.filter(pk=assignee.pk, is_active=True).exists():
                _add(errors, f"{at}.assignee", f"{assignee} is not an active member of {group}.")
        elif group is not None or assignee is not None:
            _add(errors, f"{at}.group" if group is not None else f"{at}.assignee",
                 "Only a reassign escalation takes a group or an assignee.")
        if action == EscalationRule.Action.ADD_WATCHERS:
            if not users:
                _add(errors, f"{at}.users", "Adding watchers needs at least one person.")
            inactive = [str(u) for u in users if not u.is_active]
            if inactive:
                _add(errors, f"{at}.users", f"Inactive: {', '.join(inactive)}.")
        elif users:
            _add(errors, f"{at}.users", "Only an add-watchers escalation takes people.")
        if len(errors) > before:
            continue
        key = (metric, threshold, action)
        if key in seen:
            _add(errors, "escalations", f"{_label(Metric, metric)} at {threshold}%: "
                                        f"'{_label(EscalationRule.Action, action)}' is listed twice.")
            continue
        seen.add(key)
        rows.append({"metric": metric, "threshold": threshold, "action": action, "group": group,
                     "assignee": assignee, "users": users})
    return rows


def _without_conditions(qs):
    return qs.filter(channels=[], requester_vip="", categories__isnull=True)


def _check_precedence(errors: dict, policy: Policy | None, ticket_type: str, order: int, has_conditions: bool) -> None:
    """Active policies of a type are tried in order; refuse a tie and a policy that could never apply."""
    others = Policy.objects.filter(ticket_type=ticket_type, is_active=True).exclude(pk=getattr(policy, "pk", None))
    tie = others.filter(order=order).first()
    if tie is not None:
        _add(errors, "order", f"Conflicts with policy '{tie.name}' at order {order}: "
                              "active policies of one ticket type need different orders.")
    catch_all = _without_conditions(others.filter(order__lt=order)).order_by("order").first()
    if catch_all is not None:
        _add(errors, "order", f"Could never apply: policy '{catch_all.name}' (order {catch_all.order}) comes first "
                              "and has no conditions, so it matches every ticket. Give this policy a lower order, "
                              f"or add conditions to '{catch_all.name}'.")
    if not has_conditions:
        hidden = list(others.filter(order__gt=order).order_by("order").values_list("name", "order"))
        if hidden:
            listed = ", ".join(f"'{name}' (order {n})" for name, n in hidden)
            _add(errors, "order", f"This policy has no conditions, so it would match every ticket before {listed}, "
                                  "which could then never apply. Give it a higher order than those, or add conditions.")


@transaction.atomic
def save_policy(*, by, policy: Policy | None = None, name: str, ticket_type: str, order: int, is_active: bool = True,
                description: str = "", categories=(), channels=(), requester_vip: str = "", pause_states=(),
                targets, escalations=()) -> Policy:
    """Create or edit a policy. ``targets`` and ``escalations`` replace the existing rows.

    Rows that stay (same metric and priority; same metric, threshold and action) are updated
    in place, so the firings recorded against an escalation rule stay attached to it.
    """
    _require_admin(by, "change SLA policies")
    if policy is not None:
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
    errors: dict[str, list[str]] = {}
    name, description = _check_label(errors, Policy, name, description, policy, "policy")
    models = {model._meta.label_lower: model for model in ticket_models()}
    model = models.get(ticket_type)
    if model is None:
        _add(errors, "ticket_type", f"Unknown ticket type '{ticket_type}': choose {', '.join(sorted(models))}.")
    if not _is_int(order) or not 0 <= order <= 2**31 - 1:
        _add(errors, "order", "Must be a whole number from 0 (first) upwards.")
    categories = list(categories or ())
    inactive = [str(c) for c in categories if not c.is_active]
    if inactive:
        _add(errors, "categories", f"Inactive categories cannot be matched: {', '.join(inactive)}.")
    channels = list(dict.fromkeys(channels or ()))
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        _add(errors, "channels", f"Unknown channel {_names(unknown)}: choose {', '.join(Channel.values)}.")
    if requester_vip not in Policy.Vip.values:
        _add(errors, "requester_vip", "Choose '' (any requester), 'vip' or 'not_vip'.")
    pause_states = list(dict.fromkeys(pause_states or ()))
    if model is not None:
        workflow = model.workflow
        allowed = workflow.open_states - workflow.final
        wrong = [s for s in pause_states if s not in allowed]
        if wrong:
            _add(errors, "pause_states", f"{_names(wrong)} cannot pause a clock: choose open states of the "
                                         f"{model._meta.verbose_name} workflow ({', '.join(sorted(allowed))}).")
    target_rows = _check_targets(errors, list(targets or ()))
    target_metrics = {t["metric"] for t in target_rows} | {t.get("metric") for t in (targets or ())}
    escalation_rows = _check_escalations(errors, list(escalations or ()), target_metrics)
    if is_active and model is not None and "order" not in errors:
        _check_precedence(errors, policy, ticket_type, order, bool(categories or channels or requester_vip))
    if errors:
        raise ValidationFailed("The policy was not saved.", fields=errors)

    created = policy is None
    policy = policy or Policy()
    policy.name, policy.description, policy.ticket_type, policy.order = name, description, ticket_type, order
    policy.is_active, policy.channels, policy.requester_vip = is_active, channels, requester_vip
    policy.pause_states = pause_states
    policy.updated_at = _bump(policy.updated_at if policy.pk else None)
    policy.save()
    policy.categories.set(categories)
    _replace_targets(policy, target_rows)
    _replace_escalations(policy, escalation_rows)
    if not created:
        services.recheck_policy(policy)  # running clocks pick up the new escalation rules at the next tick
    return policy


def _replace_targets(policy: Policy, rows: list[dict]) -> None:
    existing = {(t.metric, t.priority): t for t in policy.targets.all()}
    keep = set()
    for row in rows:
        target = existing.get((row["metric"], row["priority"]))
        if target is None:
            Target.objects.create(policy=policy, **row)
            continue
        keep.add(target.pk)
        if (target.duration_seconds, target.calendar_id) != (row["duration_seconds"], row["calendar"].pk):
            target.duration_seconds, target.calendar = row["duration_seconds"], row["calendar"]
            target.save(update_fields=["duration_seconds", "calendar"])
    Target.objects.filter(pk__in=[t.pk for t in existing.values() if t.pk not in keep]).delete()


def _replace_escalations(policy: Policy, rows: list[dict]) -> None:
    existing = {(r.metric, r.threshold, r.action): r for r in policy.escalations.all()}
    keep = set()
    for row in rows:
        users = row.pop("users")
        rule = existing.get((row["metric"], row["threshold"], row["action"]))
        if rule is None:
            rule = EscalationRule.objects.create(policy=policy, **row)
        else:
            keep.add(rule.pk)
            rule.group, rule.assignee = row["group"], row["assignee"]
            rule.save(update_fields=["group", "assignee"])
        rule.users.set(users)
    EscalationRule.objects.filter(pk__in=[r.pk for r in existing.values() if r.pk not in keep]).delete()


@dataclass(frozen=True)
class PolicyRemoval:
    deleted: bool  # False: deactivated instead, because clocks were measured under it
    message: str


@transaction.atomic
def delete_policy(*, by, policy: Policy) -> PolicyRemoval:
    """Delete a policy; one that clocks were measured under is deactivated instead, keeping their history."""
    _require_admin(by, "delete SLA policies")
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    clocks = Clock.objects.filter(policy=policy).count()
    if not clocks:
        policy.delete()
        return PolicyRemoval(True, f"The policy '{policy.name}' was deleted.")
    policy.is_active = False
    policy.updated_at = _bump(policy.updated_at)
    policy.save(update_fields=["is_active", "updated_at"])
    return PolicyRemoval(False, f"The policy '{policy.name}' has measured {clocks} clock{'s' if clocks != 1 else ''}, "
                                "so it was deactivated instead of deleted: new tickets no longer match it and its "
                                "history stays reportable.")

