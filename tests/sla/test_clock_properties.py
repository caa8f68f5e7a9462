"""Property: whatever the pauses, a clock's deadline is the start plus target plus paused business time,
and a running clock's deadline lies inside the calendar's working hours."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from sla import business_time, services
from sla.models import Clock, Metric, Policy
from sla.queries import schedule_for
from tests.sla.conftest import local, office_hours

START = local(2026, 3, 23, 8, 0)  # the week before Europe/Berlin's spring DST change


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target_minutes=st.integers(1, 60 * 40),
       offsets=st.lists(st.integers(1, 60 * 24 * 4), min_size=0, max_size=6))
def test_deadline_is_start_plus_target_plus_paused_business_time(tenant, target_minutes, offsets):
    # Hypothesis runs every example inside one test transaction: build the calendar once.
    from sla.models import Calendar

    calendar = (Calendar.objects.filter(name="Property office").first()
                or office_hours(name="Property office", spans=((540, 720), (780, 1020))))
    policy = Policy.objects.get_or_create(name="Property", defaults={"order": 1, "is_active": False})[0]
    moments = [START + timedelta(minutes=m) for m in sorted(set(offsets))]
    if len(moments) % 2:
        moments = moments[:-1]
    pauses = [[moments[i].isoformat(), moments[i + 1].isoformat()] for i in range(0, len(moments), 2)]
    clock = Clock(ticket_type="incidents.incident", ticket_id=1, metric=Metric.RESOLUTION, policy=policy,
                  calendar=calendar, priority=5, target_seconds=target_minutes * 60, started_at=START, pauses=pauses)
    services.rearm(clock, now=START, fired_rule_ids=set())
    schedule = schedule_for(calendar)
    paused = sum(business_time.between(schedule, moments[i], moments[i + 1]) for i in range(0, len(moments), 2))
    assert clock.paused_seconds == paused
    assert clock.deadline == business_time.add(schedule, START, target_minutes * 60 + paused)
    assert schedule.is_working(clock.deadline - timedelta(microseconds=1))
    # The breach moment is the next check when no escalation rules exist.
    assert clock.next_check_at == clock.deadline
