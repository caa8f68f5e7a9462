"""Business-time arithmetic on a working calendar. Pure functions, no database.

A ``Schedule`` is the weekly working hours of a calendar (several intervals a day
allowed: a lunch break is a gap between two intervals, not a holiday), its time
zone and its holidays. Business time is the real time that elapses inside working
intervals, measured in seconds:

- ``add(schedule, start, seconds)`` is the earliest instant by which ``seconds``
  of business time have elapsed since ``start``;
- ``between(schedule, start, end)`` is the business time elapsed between two instants.

Working intervals are laid out in the calendar's local time and converted to UTC
per day, so DST transitions in the calendar's zone are honoured: a 09:00-17:00 day
stays 8 hours on a transition day, and a 24-hour day is 23 or 25 real hours.
A local time is read as the first instant at which the wall clock shows it or a
later time: a repeated (fall-back) time is its first occurrence, and a time that
does not exist (the spring-forward gap) is the instant of the jump. This reading is
monotonic, so the UTC intervals of a day stay sorted and never overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone as dt_timezone
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
# How many consecutive days without working time add() crosses before giving up
# (holidays covering every working day). Validation refuses calendars without working hours.
MAX_SEARCH_DAYS = 366 * 5
# Days of UTC intervals kept per Schedule (schedules are cached per calendar, see
# sla.queries.schedule_for, so the scanner converts each day once, not once per clock).
_MAX_CACHED_DAYS = 512

_UTC = dt_timezone.utc
_ONE_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_MICROSECOND = timedelta(microseconds=1)

Span = tuple[datetime, datetime]


class NoWorkingTime(ValueError):
    """The calendar has no working time in the searched range."""


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    # weekday (Monday=0) -> sorted, non-overlapping (start_minute, end_minute), end up to 1440;
    # normalised on creation (sorted, overlapping or touching intervals merged)
    hours: dict[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _days: dict[date, tuple[Span, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))
        object.__setattr__(self, "hours", _normalised(self.hours))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_days", {})

    @classmethod
    def always(cls, time_zone: str = "UTC") -> "Schedule":
        """24x7: every minute of every day is working time."""
        return cls(time_zone, {day: ((0, DAY_MINUTES),) for day in range(7)})

    @classmethod
    def weekly(cls, time_zone: str, intervals: Iterable[tuple[int, int, int]], holidays: Iterable[date] = ()) -> "Schedule":
        """From (weekday, start_minute, end_minute) rows."""
        hours: dict[int, list[tuple[int, int]]] = {}
        for weekday, start, end in intervals:
            hours.setdefault(int(weekday), []).append((int(start), int(end)))
        return cls(time_zone, {day: tuple(spans) for day, spans in hours.items()}, frozenset(holidays))

    @property
    def is_always(self) -> bool:
        return not self.holidays and all(self.hours.get(day) == ((0, DAY_MINUTES),) for day in range(7))

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local date, as UTC instants."""
        return list(self._spans(day))

    def intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals that end after ``moment``, clipped to start no earlier than it.

        Ends after MAX_SEARCH_DAYS consecutive days without working time (at once when
        the week has none).
        """
        moment = _utc(moment)
        if not self.hours:
            return
        day = moment.astimezone(self.zone).date() - _ONE_DAY  # yesterday's may run up to midnight
        idle = 0
        while idle < MAX_SEARCH_DAYS:
            idle += 1
            for begin, finish in self._spans(day):
                if finish > moment:
                    idle = 0
                    yield max(begin, moment), finish
            day += _ONE_DAY

    def is_working(self, moment: datetime) -> bool:
        moment = _utc(moment)
        local_day = moment.astimezone(self.zone).date()
        return any(begin <= moment < finish
                   for day in (local_day - _ONE_DAY, local_day)
                   for begin, finish in self._spans(day))

    def _spans(self, day: date) -> tuple[Span, ...]:
        spans = self._days.get(day)
        if spans is None:
            spans = ()
            if day not in self.holidays:
                spans = tuple((begin, finish) for begin, finish in
                              ((self._instant(day, start), self._instant(day, end))
                               for start, end in self.hours.get(day.weekday(), ()))
                              if finish > begin)
            if len(self._days) >= _MAX_CACHED_DAYS:
                self._days.clear()
            self._days[day] = spans
        return spans

    def _instant(self, day: date, minute: int) -> datetime:
        """The first instant at which the local wall clock shows ``minute`` of ``day`` or later."""
        if minute >= DAY_MINUTES:
            day, minute = day + _ONE_DAY, minute - DAY_MINUTES
        wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        offset, other = self.zone.utcoffset(wall), self.zone.utcoffset(wall.replace(fold=1))
        first = (wall - offset).replace(tzinfo=_UTC)  # fold=0: the first occurrence of a repeated time
        if other <= offset:
            return first
        # In a spring-forward gap: fold=0 reads the wall time with the offset before the
        # jump (an instant after it), fold=1 with the larger offset after it (an instant before).
        return self._jump(wall, (wall - other).replace(tzinfo=_UTC), first)

    def _jump(self, wall: datetime, before: datetime, after: datetime) -> datetime:
        """The first instant in (before, after] whose wall time is >= ``wall`` (bisection, 1 s)."""
        low, high = 0, int((after - before) / _SECOND)
        while high - low > 1:
            middle = (low + high) // 2
            if (before + middle * _SECOND).astimezone(self.zone).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle
        return before + high * _SECOND


def _normalised(hours) -> dict[int, tuple[tuple[int, int], ...]]:
    result = {}
    for weekday, spans in hours.items():
        weekday = int(weekday)
        if not 0 <= weekday <= 6:
            raise ValueError(f"Weekday {weekday} is not 0 (Monday) to 6 (Sunday).")
        merged: list[list[int]] = []
        for start, end in sorted((int(start), int(end)) for start, end in spans):
            if not 0 <= start < end <= DAY_MINUTES:
                raise ValueError(f"Working interval {start}-{end} must satisfy 0 <= start < end <= {DAY_MINUTES}.")
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        if merged:
            result[weekday] = tuple((start, end) for start, end in merged)
    return result


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs timezone-aware instants.")
    return moment.astimezone(_UTC)


def add(schedule: Schedule, start: datetime, seconds: float) -> datetime:
    """The instant at which ``seconds`` of business time have elapsed since ``start``.

    With ``seconds`` > 0 the result always lies inside a working interval (its end
    included: a target that runs out at 17:00 is due at 17:00, not at 09:00 next day).
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("A business-time duration must be a finite number of seconds, not negative.")
    start = _utc(start)
    if seconds == 0:
        return start
    # Microsecond resolution; a positive duration below it still counts as one tick, so
    # the result is inside working time rather than at the start of the next interval.
    remaining = max(timedelta(seconds=seconds), _MICROSECOND)
    if schedule.is_always:
        return start + remaining
    for begin, finish in schedule.intervals_from(start):
        span = finish - begin
        if remaining <= span:
            return begin + remaining
        remaining -= span
    raise NoWorkingTime(f"No working time within {MAX_SEARCH_DAYS} days after {start.isoformat()}.")


def between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Business seconds elapsed from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0.0
    if schedule.is_always:
        return (end - start).total_seconds()
    total = timedelta(0)
    # Intervals of a local date begin no earlier than its midnight, so the dates from
    # the day before start's to end's own cover every interval that meets the range.
    day = start.astimezone(schedule.zone).date() - _ONE_DAY
    last = end.astimezone(schedule.zone).date()
    while day <= last:
        for begin, finish in schedule._spans(day):
            if finish > start and begin < end:
                total += min(finish, end) - max(begin, start)
        day += _ONE_DAY
    return total.total_seconds()
