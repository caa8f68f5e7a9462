"""Business-time arithmetic (sla/business_time.py): properties, worked examples, edge cases.

Pure tests, no database. The properties run on random calendars (random intervals per
weekday, lunch breaks, empty days, holidays) in zones with DST, starting near the
zones' transitions. ``test_matches_wall_clock_oracle`` checks the arithmetic against an
independent definition: a UTC minute is working when the highest local wall time shown
so far (a repeated fall-back hour keeps the time reached before the jump) lies in a
working interval of a working local date.
"""

from datetime import date, datetime, timedelta, timezone
from functools import cache
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from sla.business_time import (
    DAY_MINUTES, MAX_SEARCH_DAYS, NoWorkingTime, Schedule, add, between,
)

UTC = timezone.utc
TICK = timedelta(microseconds=1)
HOUR = 3600
# Berlin and New York (1 h, different dates), Lord Howe (30 min), Santiago (jumps at
# local midnight, southern hemisphere), Kolkata and UTC (none).
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"]
DST_ZONES = ZONES[:4]
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
NINE_TO_FIVE = [(day, 9 * 60, 17 * 60) for day in range(5)]


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The UTC instants at which the zone's offset changes in 2025-2027 (to 15 minutes)."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    while moment.year < 2028:
        following = moment + timedelta(days=1)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            step = moment
            while step.astimezone(tz).utcoffset() == moment.astimezone(tz).utcoffset():
                step += timedelta(minutes=15)
            found.append(step)
        moment = following
    return tuple(found)


def test_transition_fixture_sees_the_dst_changes():
    assert len(transitions(BERLIN)) == 6 and len(transitions("Australia/Lord_Howe")) == 6
    assert transitions("UTC") == ()


# --- strategies -----------------------------------------------------------------------

quarter_hours = st.integers(0, DAY_MINUTES // 15).map(lambda q: q * 15)
# Boundaries around the night-time jumps (00:00, 02:00-03:00, Lord Howe's 02:00-02:30) and office hours.
night_points = st.sampled_from([0, 30, 45, 60, 90, 105, 120, 135, 150, 165, 180, 195, 240, 540, 1020, 1380, DAY_MINUTES])


def spans_from(points):
    return st.sets(points, min_size=2, max_size=6).map(sorted).map(
        lambda chosen: tuple(zip(chosen[0::2], chosen[1::2])))  # odd count: the last point is dropped


night_spans = spans_from(night_points)
day_spans = st.one_of(
    st.just(()),
    spans_from(quarter_hours),
    night_spans,
    st.sampled_from([((540, 1020),), ((540, 720), (780, 1020)), ((0, DAY_MINUTES),), ((60, 165), (180, 240)),
                     ((0, 150), (150, 200)), ((1200, DAY_MINUTES),), ((0, 240),)]),
)
week_hours = st.one_of(
    st.fixed_dictionaries({day: day_spans for day in range(7)}),
    day_spans.map(lambda spans: {day: spans for day in range(7)}),  # so that the transition day has them
).map(lambda hours: {day: spans for day, spans in hours.items() if spans})
# Weeks whose every day has intervals with ends near the DST jumps, half the time.
night_weeks = st.one_of(week_hours, night_spans.map(lambda spans: {day: spans for day in range(7)}))


@st.composite
def starts(draw, zone: str, near_transition: bool = False) -> datetime:
    """An instant near one of the zone's DST transitions, or anywhere in 2025-2027."""
    near = transitions(zone)
    if near and (near_transition or draw(st.booleans())):
        # minutes before or after; near_transition: from a day before to two hours after
        before, after = (24 * 60, 120) if near_transition else draw(st.sampled_from([(720, 720), (5760, 5760)]))
        moment = draw(st.sampled_from(near)) + timedelta(minutes=draw(st.integers(-before, after)))
    else:
        moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))
    if draw(st.booleans()):
        moment += timedelta(microseconds=draw(st.integers(0, 60_000_000 - 1)))
    # Given in the calendar's zone or in UTC: the same instant either way.
    return moment.astimezone(ZoneInfo(zone)) if draw(st.booleans()) else moment


@st.composite
def cases(draw, hours=week_hours, whole_minutes: bool = False, near_transition: bool = False):
    """(schedule, start, nominal weekly business seconds) of a calendar with working time."""
    zone = draw(st.sampled_from(DST_ZONES if near_transition else ZONES))
    week = draw(hours)
    assume(week)
    start = draw(starts(zone, near_transition))
    if whole_minutes:
        start = start.replace(second=0, microsecond=0)
    around = start.astimezone(ZoneInfo(zone)).date()
    holidays = {around + timedelta(days=offset) for offset in draw(st.lists(st.integers(-3, 30), max_size=8))}
    schedule = Schedule(zone, week, frozenset(holidays))
    weekly = sum(end - begin for spans in schedule.hours.values() for begin, end in spans) * 60
    return schedule, start, weekly


def durations_ms(draw, weekly: int) -> int:
    """Milliseconds of business time: within a working day (or week), or up to three nominal weeks."""
    return draw(st.one_of(st.integers(0, min(10 * HOUR, weekly) * 1000), st.integers(0, 3 * weekly * 1000)))


def interval_ends(schedule: Schedule, moment: datetime) -> set[datetime]:
    day = moment.astimezone(schedule.zone).date()
    return {finish for offset in (-1, 0, 1) for _, finish in schedule.intervals_on(day + timedelta(days=offset))}


# --- properties -------------------------------------------------------------------------

@PROPERTY
@given(case=cases(), data=st.data())
def test_adding_then_measuring_round_trips(case, data):
    schedule, start, weekly = case
    seconds = data.draw(st.one_of(st.floats(0, 3 * weekly, allow_nan=False), st.floats(0, 1e-5)))
    due = add(schedule, start, seconds)
    assert due >= start.astimezone(UTC)
    assert between(schedule, start, due) == pytest.approx(seconds, abs=1e-6)


@PROPERTY
@given(case=cases(), data=st.data())
def test_deadlines_land_inside_working_time(case, data):
    schedule, start, weekly = case
    seconds = durations_ms(data.draw, weekly) / 1000 or 0.001
    due = add(schedule, start, seconds)
    assert schedule.is_working(due - TICK) or due in interval_ends(schedule, due)
    # On a working local date (the instant just before: an interval may end at 24:00).
    day = (due - TICK).astimezone(schedule.zone).date()
    assert day not in schedule.holidays and schedule.hours.get(day.weekday())


@PROPERTY
@given(case=cases(), data=st.data())
def test_add_is_strictly_monotonic_in_the_duration(case, data):
    schedule, start, weekly = case
    shorter, longer = sorted(durations_ms(data.draw, weekly) for _ in range(2))
    assert add(schedule, start, shorter / 1000) <= add(schedule, start, longer / 1000)
    if shorter < longer:
        assert add(schedule, start, shorter / 1000) < add(schedule, start, longer / 1000)


@PROPERTY
@given(case=cases(), data=st.data())
def test_add_is_additive(case, data):
    schedule, start, weekly = case
    first, second = durations_ms(data.draw, weekly), durations_ms(data.draw, weekly)
    assert add(schedule, add(schedule, start, first / 1000), second / 1000) == add(schedule, start, (first + second) / 1000)


@PROPERTY
@given(case=cases(), data=st.data())
def test_between_is_additive_over_a_midpoint(case, data):
    schedule, start, _ = case
    base = start.astimezone(UTC)  # arithmetic on a zone-aware datetime would be wall-clock arithmetic
    middle, end = sorted(base + timedelta(seconds=data.draw(st.integers(0, 21 * 24 * HOUR))) for _ in range(2))
    whole = between(schedule, start, end)
    assert whole == pytest.approx(between(schedule, start, middle) + between(schedule, middle, end), abs=1e-6)
    assert 0 <= whole <= (end - start).total_seconds()
    assert between(schedule, end, start) == 0


@PROPERTY
@given(case=cases(hours=st.fixed_dictionaries({day: day_spans for day in range(5)})), data=st.data())
def test_weekends_and_holidays_are_skipped(case, data):
    schedule, start, weekly = case
    assume(any(schedule.hours.values()))
    due = add(schedule, start, (durations_ms(data.draw, weekly) / 1000) or 1)
    day = (due - TICK).astimezone(schedule.zone).date()
    assert day.weekday() < 5 and day not in schedule.holidays
    # Nothing is counted on a holiday or a weekend day.
    for offset in range(-1, 10):
        other = start.astimezone(schedule.zone).date() + timedelta(days=offset)
        if other in schedule.holidays or other.weekday() >= 5:
            assert schedule.intervals_on(other) == []


@PROPERTY
@given(case=cases(hours=night_weeks,
                  near_transition=True))
def test_intervals_are_sorted_and_disjoint_on_transition_days(case):
    schedule, _, _ = case
    for moment in transitions(schedule.time_zone):
        transition_day = moment.astimezone(schedule.zone).date()
        spans = [span for offset in (-1, 0, 1) for span in schedule.intervals_on(transition_day + timedelta(days=offset))]
        assert all(begin < finish for begin, finish in spans)
        assert all(finish <= following for (_, finish), (following, _) in zip(spans, spans[1:])), spans


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(hours=night_weeks,
                  whole_minutes=True, near_transition=True),
       minutes=st.integers(1, 36 * 60))
def test_matches_wall_clock_oracle(case, minutes):
    schedule, start, _ = case
    start = start.astimezone(UTC)
    end = start + timedelta(minutes=minutes)
    hours, holidays, zone = schedule.hours, schedule.holidays, ZoneInfo(schedule.time_zone)

    def working(wall: datetime) -> bool:
        minute = wall.hour * 60 + wall.minute
        return wall.date() not in holidays and any(begin <= minute < finish for begin, finish in hours.get(wall.weekday(), ()))

    counted, high, moment = 0, None, start - timedelta(hours=6)  # the high-water mark needs the last few hours
    while moment < end:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        high = wall if high is None or wall > high else high
        if moment >= start:
            counted += working(high)
            assert schedule.is_working(moment) == working(high), moment
        moment += timedelta(minutes=1)
    assert between(schedule, start, end) == counted * 60


@PROPERTY
@given(zone=st.sampled_from(ZONES), data=st.data())
def test_24x7_is_real_time_across_transitions(zone, data):
    """The interval path (a far holiday disables the 24x7 shortcut) agrees with real time."""
    start = data.draw(starts(zone))
    seconds = data.draw(st.integers(0, 5 * 24 * HOUR))
    always = Schedule.always(zone)
    every_day = Schedule.weekly(zone, [(day, 0, DAY_MINUTES) for day in range(7)], {date(2099, 1, 1)})
    assert not every_day.is_always
    later = start.astimezone(UTC) + timedelta(seconds=seconds)  # real time: not wall-clock arithmetic in start's zone
    for schedule in (always, every_day):
        assert add(schedule, start, seconds) == later
        assert between(schedule, start, later) == seconds


# --- worked examples ----------------------------------------------------------------------

@pytest.fixture(params=[BERLIN, NEW_YORK])
def zone(request):
    return request.param


@pytest.fixture
def nine_to_five(zone):
    return Schedule.weekly(zone, NINE_TO_FIVE)


def test_friday_afternoon_ticket_is_due_monday_morning(zone, nine_to_five):
    assert add(nine_to_five, local(zone, 2026, 1, 16, 16, 30), 4 * HOUR) == local(zone, 2026, 1, 19, 12, 30)
    assert add(nine_to_five, local(zone, 2026, 1, 16, 17, 30), 4 * HOUR) == local(zone, 2026, 1, 19, 13, 0)
    # A target that runs out exactly at closing time is due then, not next morning.
    assert add(nine_to_five, local(zone, 2026, 1, 16, 13, 0), 4 * HOUR) == local(zone, 2026, 1, 16, 17, 0)


def test_a_pause_moves_the_deadline_by_the_paused_business_time(zone, nine_to_five):
    start, target = local(zone, 2026, 1, 14, 15, 0), 8 * HOUR
    deadline = add(nine_to_five, start, target)
    paused = between(nine_to_five, local(zone, 2026, 1, 16, 16, 0), local(zone, 2026, 1, 19, 10, 0))
    assert paused == 2 * HOUR  # Friday 16:00-17:00 and Monday 09:00-10:00, not the weekend
    moved = add(nine_to_five, start, target + paused)
    assert between(nine_to_five, deadline, moved) == 2 * HOUR
    assert deadline == local(zone, 2026, 1, 15, 15, 0)  # Wednesday 15-17 and Thursday 9-15
    assert moved == local(zone, 2026, 1, 15, 17, 0)  # two more hours: closing time, not 09:00 Friday
    # Pausing over the weekend moves Monday's deadline by 2 business hours, not by 2 days + 2 hours.
    friday = local(zone, 2026, 1, 16, 14, 0)
    due, due_after_pause = add(nine_to_five, friday, 4 * HOUR), add(nine_to_five, friday, 4 * HOUR + paused)
    assert (due, due_after_pause) == (local(zone, 2026, 1, 19, 10, 0), local(zone, 2026, 1, 19, 12, 0))
    # A pause entirely outside working hours moves nothing.
    assert between(nine_to_five, local(zone, 2026, 1, 16, 17, 0), local(zone, 2026, 1, 19, 9, 0)) == 0


def test_lunch_break_is_a_gap_not_a_holiday(zone):
    lunch = Schedule.weekly(zone, [(day, start, end) for day in range(5) for start, end in ((540, 720), (780, 1020))])
    monday = date(2026, 1, 19)
    assert not lunch.holidays and len(lunch.intervals_on(monday)) == 2
    assert add(lunch, local(zone, 2026, 1, 19, 11, 0), 2 * HOUR) == local(zone, 2026, 1, 19, 14, 0)
    assert add(lunch, local(zone, 2026, 1, 19, 12, 15), 1 * HOUR) == local(zone, 2026, 1, 19, 14, 0)
    assert between(lunch, local(zone, 2026, 1, 19, 11, 30), local(zone, 2026, 1, 19, 13, 30)) == HOUR
    assert between(lunch, local(zone, 2026, 1, 19, 0, 0), local(zone, 2026, 1, 20, 0, 0)) == 7 * HOUR
    assert not lunch.is_working(local(zone, 2026, 1, 19, 12, 30))
    assert lunch.is_working(local(zone, 2026, 1, 19, 13, 0))


def test_monday_holiday_moves_the_deadline_to_tuesday(zone):
    schedule = Schedule.weekly(zone, NINE_TO_FIVE, [date(2026, 1, 19)])
    assert add(schedule, local(zone, 2026, 1, 16, 16, 30), 4 * HOUR) == local(zone, 2026, 1, 20, 12, 30)
    assert between(schedule, local(zone, 2026, 1, 16, 9, 0), local(zone, 2026, 1, 20, 17, 0)) == 16 * HOUR


@pytest.mark.parametrize("zone, friday, monday, real_hours", [
    (BERLIN, (2026, 3, 27), (2026, 3, 30), 67),  # CET -> CEST on Sunday 29 March
    (BERLIN, (2026, 10, 23), (2026, 10, 26), 69),  # CEST -> CET on Sunday 25 October
    (NEW_YORK, (2026, 3, 6), (2026, 3, 9), 67),  # EST -> EDT on Sunday 8 March
    (NEW_YORK, (2026, 10, 30), (2026, 11, 2), 69),  # EDT -> EST on Sunday 1 November
])
def test_dst_weekend(zone, friday, monday, real_hours):
    schedule = Schedule.weekly(zone, NINE_TO_FIVE)
    start = local(zone, *friday, 16, 0)
    due = add(schedule, start, 4 * HOUR)
    assert due == local(zone, *monday, 12, 0)  # Friday 16-17, Monday 9-12
    assert due - start.astimezone(UTC) == timedelta(hours=real_hours)  # 68 wall-clock hours, one less or more in reality
    assert due.astimezone(ZoneInfo(zone)).utcoffset() != start.utcoffset()


def test_dst_worked_example_in_utc():
    schedule = Schedule.weekly(BERLIN, NINE_TO_FIVE)
    friday = local(BERLIN, 2026, 3, 27, 16, 0)
    assert friday == datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # CET, UTC+1
    due = add(schedule, friday, 4 * HOUR)
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # 12:00 CEST, UTC+2
    assert due.astimezone(ZoneInfo(BERLIN)).isoformat() == "2026-03-30T12:00:00+02:00"
    assert due - friday == timedelta(hours=67)
    assert add(schedule, friday, 3 * HOUR).astimezone(ZoneInfo(BERLIN)).isoformat() == "2026-03-30T11:00:00+02:00"


@pytest.mark.parametrize("zone, night, real_hours", [
    (BERLIN, date(2026, 3, 29), 23), (BERLIN, date(2026, 10, 25), 25),
    (NEW_YORK, date(2026, 3, 8), 23), (NEW_YORK, date(2026, 11, 1), 25),
    ("Australia/Lord_Howe", date(2026, 10, 4), 23.5), ("Australia/Lord_Howe", date(2026, 4, 5), 24.5),
])
def test_dst_days(zone, night, real_hours):
    everyday_nine_to_five = Schedule.weekly(zone, [(day, 540, 1020) for day in range(7)])
    round_the_clock = Schedule.weekly(zone, [(day, 0, DAY_MINUTES) for day in range(7)], {date(2099, 1, 1)})
    midnight, next_midnight = local(zone, *night.timetuple()[:3]), local(zone, *(night + timedelta(days=1)).timetuple()[:3])
    assert between(everyday_nine_to_five, midnight, next_midnight) == 8 * HOUR
    assert between(round_the_clock, midnight, next_midnight) == real_hours * HOUR


def test_24x7_across_the_dst_night_is_real_time():
    always = Schedule.always(BERLIN)
    start = local(BERLIN, 2026, 3, 28, 12, 0)
    due = add(always, start, 24 * HOUR)
    assert due - start == timedelta(hours=24)
    assert due == local(BERLIN, 2026, 3, 29, 13, 0)  # 25 wall-clock hours later
    assert between(always, start, due) == 24 * HOUR


def test_hours_in_the_spring_forward_gap_do_not_overlap():
    """Regression: reading gap times with fold=0 made 01:00-02:45 and 03:00-04:00 overlap in UTC."""
    schedule = Schedule.weekly(BERLIN, [(6, 60, 165), (6, 180, 240)])
    spans = schedule.intervals_on(date(2026, 3, 29))
    assert spans == [(datetime(2026, 3, 29, 0, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
                     (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC))]
    assert between(schedule, local(BERLIN, 2026, 3, 29, 0, 0), local(BERLIN, 2026, 3, 30, 0, 0)) == 2 * HOUR
    # An interval wholly inside the gap is empty; one starting in it starts at the jump.
    assert Schedule.weekly(BERLIN, [(6, 120, 180)]).intervals_on(date(2026, 3, 29)) == []
    assert Schedule.weekly(BERLIN, [(6, 150, 240)]).intervals_on(date(2026, 3, 29)) == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC))]


def test_repeated_fall_back_hour_reads_first_occurrence():
    schedule = Schedule.weekly(BERLIN, [(6, 0, 150), (6, 150, 300)])
    assert schedule.intervals_on(date(2026, 10, 25)) == [
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 4, 0, tzinfo=UTC))]  # merged, 6 h
    assert between(schedule, local(BERLIN, 2026, 10, 25, 0, 0), local(BERLIN, 2026, 10, 26, 0, 0)) == 6 * HOUR


# --- edge cases ------------------------------------------------------------------------------

def test_naive_datetimes_are_refused():
    schedule, naive, aware = Schedule.weekly(BERLIN, NINE_TO_FIVE), datetime(2026, 1, 19, 10, 0), local(BERLIN, 2026, 1, 19, 10, 0)
    for call in (lambda: add(schedule, naive, 60), lambda: between(schedule, naive, aware),
                 lambda: between(schedule, aware, naive), lambda: schedule.is_working(naive),
                 lambda: next(schedule.intervals_from(naive)), lambda: add(Schedule.always(), naive, 60)):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


@pytest.mark.parametrize("seconds", [-1, -0.001, float("nan"), float("inf")])
def test_negative_or_non_finite_durations_are_refused(seconds):
    with pytest.raises(ValueError):
        add(Schedule.weekly(BERLIN, NINE_TO_FIVE), local(BERLIN, 2026, 1, 19, 10, 0), seconds)


def test_no_working_time_raises_quickly():
    start = local(BERLIN, 2026, 1, 19, 10, 0)
    with pytest.raises(NoWorkingTime):
        add(Schedule.weekly(BERLIN, []), start, 60)
    assert between(Schedule.weekly(BERLIN, []), start, start + timedelta(days=3650)) == 0
    # Mondays only, and every Monday for longer than the search horizon is a holiday.
    mondays = [date(2026, 1, 19) + timedelta(weeks=week) for week in range(MAX_SEARCH_DAYS // 7 + 2)]
    with pytest.raises(NoWorkingTime):
        add(Schedule.weekly(BERLIN, [(0, 540, 1020)], mondays), start, 60)


def test_long_targets_are_not_cut_off_by_the_search_horizon():
    schedule = Schedule.weekly(BERLIN, NINE_TO_FIVE)
    start = local(BERLIN, 2026, 1, 19, 9, 0)
    ten_years = 10 * 52 * 5 * 8 * HOUR
    due = add(schedule, start, ten_years)
    assert between(schedule, start, due) == ten_years
    last_friday = date(2026, 1, 19) + timedelta(weeks=520, days=-3)  # 520 weeks of 5 x 8 h
    assert due == local(BERLIN, last_friday.year, last_friday.month, last_friday.day, 17, 0)


def test_zero_and_reversed():
    schedule = Schedule.weekly(BERLIN, NINE_TO_FIVE)
    saturday = local(BERLIN, 2026, 1, 17, 3, 0)
    assert add(schedule, saturday, 0) == saturday
    assert add(schedule, saturday, 0.0) == saturday
    assert between(schedule, saturday, saturday) == 0
    assert between(schedule, saturday + timedelta(days=3), saturday) == 0


def test_intervals_to_midnight_join_the_next_days():
    overnight = Schedule.weekly(BERLIN, [(0, 20 * 60, DAY_MINUTES), (1, 0, 4 * 60)])
    monday_22 = local(BERLIN, 2026, 1, 19, 22, 0)
    assert add(overnight, monday_22, 4 * HOUR) == local(BERLIN, 2026, 1, 20, 2, 0)
    assert add(overnight, monday_22, 2 * HOUR) == local(BERLIN, 2026, 1, 20, 0, 0)
    assert add(overnight, monday_22, 2 * HOUR + 1) == local(BERLIN, 2026, 1, 20, 0, 0, 1)
    assert between(overnight, local(BERLIN, 2026, 1, 19, 18, 0), local(BERLIN, 2026, 1, 20, 6, 0)) == 8 * HOUR
    assert overnight.is_working(local(BERLIN, 2026, 1, 20, 0, 0))
    (_, monday_end), (tuesday_start, _) = islice(overnight.intervals_from(monday_22), 2)
    assert monday_end == tuesday_start


def test_hours_are_normalised_and_checked():
    schedule = Schedule.weekly(BERLIN, [(0, 700, 1020), (0, 540, 720), (0, 1020, 1080), (1, 0, 720), (1, 720, DAY_MINUTES)])
    assert schedule.hours == {0: ((540, 1080),), 1: ((0, DAY_MINUTES),)}
    assert between(schedule, local(BERLIN, 2026, 1, 19, 0, 0), local(BERLIN, 2026, 1, 20, 0, 0)) == 9 * HOUR
    assert Schedule.weekly("UTC", [(day, 0, 720) for day in range(7)] + [(day, 720, 1440) for day in range(7)]).is_always
    for bad in ([(7, 540, 1020)], [(0, 600, 540)], [(0, 540, 540)], [(0, -1, 60)], [(0, 0, DAY_MINUTES + 1)]):
        with pytest.raises(ValueError):
            Schedule.weekly(BERLIN, bad)
