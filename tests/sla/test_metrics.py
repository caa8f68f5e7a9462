"""Compliance over hand-made clocks: what counts, how it groups, and that it is one query."""

from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest

from core.exceptions import ValidationFailed
from sla.metrics import compliance
from sla.models import Calendar, Clock, Metric
from tests.factories import GroupFactory

R, FR = Metric.RESOLUTION, Metric.RESPONSE
UTC = dt_timezone.utc
MARCH, APRIL, MAY = (datetime(2026, m, 1, tzinfo=UTC) for m in (3, 4, 5))


@pytest.fixture
def setup(tenant, make_policy):
    always = Calendar.objects.get(is_24x7=True)
    gold = make_policy(always, targets={(R, 1): 3600}, name="Gold", order=10, channels=["email"])
    bronze = make_policy(always, targets={(R, 1): 3600}, name="Bronze", order=20)
    network, desk = GroupFactory(name="Network"), GroupFactory(name="Desk")
    ids = iter(range(1, 1000))

    def clock(policy, *, outcome, at, metric=R, priority=1, group=None, state=Clock.State.STOPPED, breached_at=None,
              ticket_type="incidents.incident"):
        started = at - timedelta(hours=2)
        return Clock.objects.create(
            ticket_type=ticket_type, ticket_id=next(ids), metric=metric, policy=policy, calendar=always,
            priority=priority, assignment_group=group, target_seconds=3600, started_at=started,
            deadline=started + timedelta(hours=1), state=state, outcome=outcome, breached_at=breached_at,
            first_breached_at=breached_at,
            stopped_at=at if state == Clock.State.STOPPED else None)

    met, breached = Clock.Outcome.MET, Clock.Outcome.BREACHED
    clock(gold, outcome=met, at=MARCH + timedelta(days=2), group=network)
    clock(gold, outcome=met, at=MARCH + timedelta(days=3), group=network, metric=FR, priority=2)
    clock(gold, outcome=breached, at=APRIL + timedelta(days=1), group=desk, breached_at=APRIL)
    clock(bronze, outcome=met, at=APRIL + timedelta(days=9), priority=3)
    clock(bronze, outcome=breached, at=MARCH + timedelta(days=20), group=desk, priority=3, breached_at=MARCH)
    # Never counted: cancelled, outside the range, still running without a breach.
    clock(gold, outcome=Clock.Outcome.CANCELLED, at=MARCH + timedelta(days=5))
    clock(gold, outcome=met, at=MAY + timedelta(days=1))
    clock(bronze, outcome="", at=APRIL, state=Clock.State.RUNNING)
    # Running but already breached: counted only with include_running.
    clock(bronze, outcome="", at=APRIL, state=Clock.State.RUNNING, breached_at=APRIL + timedelta(days=3), group=desk)
    return {"gold": gold, "bronze": bronze, "network": network, "desk": desk}


def rows(**kwargs):
    return compliance(start=MARCH, end=MAY, **kwargs)


def test_by_policy(setup, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = rows(group_by="policy")
    assert result == [
        {"key": setup["bronze"].pk, "label": "Bronze", "met": 1, "breached": 1, "total": 2, "compliance_percent": 50.0},
        {"key": setup["gold"].pk, "label": "Gold", "met": 2, "breached": 1, "total": 3, "compliance_percent": 66.7},
    ]


def test_running_breached_clocks_count_when_asked(setup, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = rows(group_by="policy", include_running=True)
    bronze = next(r for r in result if r["label"] == "Bronze")
    assert (bronze["met"], bronze["breached"], bronze["total"]) == (1, 2, 3)
    assert bronze["compliance_percent"] == 33.3


def test_by_group_with_no_group_last(setup, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = rows(group_by="group")
    assert [(r["label"], r["met"], r["breached"]) for r in result] == [
        ("Desk", 0, 2), ("Network", 2, 0), ("No group", 1, 0)]
    assert result[-1]["key"] is None and result[0]["key"] == setup["desk"].pk


def test_by_priority_and_metric(setup):
    assert [(r["key"], r["label"], r["total"]) for r in rows(group_by="priority")] == [
        (1, "P1 - Critical", 2), (2, "P2 - High", 1), (3, "P3 - Moderate", 2)]
    assert [(r["key"], r["met"], r["breached"]) for r in rows(group_by="metric")] == [(FR, 1, 0), (R, 2, 2)]


def test_by_period(setup, django_assert_num_queries):
    with django_assert_num_queries(1):
        months = rows(group_by="period", period="month", time_zone="UTC")
    assert [(r["key"], r["label"], r["met"], r["breached"]) for r in months] == [
        (date(2026, 3, 1), "March 2026", 2, 1), (date(2026, 4, 1), "April 2026", 1, 1)]
    days = rows(group_by="period", period="day", time_zone="UTC")
    assert [r["key"] for r in days] == [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 21), date(2026, 4, 2),
                                        date(2026, 4, 10)]
    weeks = rows(group_by="period", period="week", time_zone="UTC", include_running=True)
    assert weeks[0]["key"] == date(2026, 3, 2) and weeks[0]["label"] == "Week of 2026-03-02"  # a Monday
    assert sum(w["total"] for w in weeks) == 6


def test_period_is_cut_in_the_given_time_zone(tenant, setup):
    # 1 March 2026 00:30 in Berlin is still February in UTC.
    Clock.objects.filter(stopped_at=MARCH + timedelta(days=2)).update(stopped_at=MARCH - timedelta(minutes=30))
    berlin = compliance(start=MARCH - timedelta(hours=1), end=MAY, group_by="period", time_zone="Europe/Berlin")
    utc = compliance(start=MARCH - timedelta(hours=1), end=MAY, group_by="period", time_zone="UTC")
    assert berlin[0]["key"] == date(2026, 3, 1) and berlin[0]["total"] == 3
    assert utc[0]["key"] == date(2026, 2, 1) and utc[0]["total"] == 1


def test_range_is_half_open_and_ticket_type_filters(setup):
    assert sum(r["total"] for r in compliance(start=MARCH, end=APRIL)) == 3
    assert compliance(start=MARCH, end=MAY, ticket_type="incidents.incident")
    Clock.objects.update(ticket_type="incidents.elsewhere")
    assert compliance(start=MARCH, end=MAY, ticket_type="incidents.incident") == []


def test_empty_range_has_no_rows(tenant):
    assert compliance(start=MARCH, end=APRIL) == []


@pytest.mark.parametrize("kwargs, field", [
    ({"start": APRIL, "end": MARCH}, "end"),
    ({"start": datetime(2026, 3, 1), "end": APRIL}, "start"),
    ({"start": MARCH, "end": APRIL, "group_by": "weather"}, "group_by"),
    ({"start": MARCH, "end": APRIL, "period": "fortnight"}, "period"),
    ({"start": MARCH, "end": APRIL, "ticket_type": "incidents.nothing"}, "ticket_type"),
])
def test_bad_arguments_are_refused(tenant, kwargs, field):
    with pytest.raises(ValidationFailed) as info:
        compliance(**kwargs)
    assert field in info.value.fields
