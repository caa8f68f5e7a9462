"""Clock lifecycle through real ticket actions, with the worked examples and the peer failure modes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from incidents.services import add_reply, transition_incident, update_incident
from sla import business_time, scanner
from sla.due.models import DueClock
from sla.models import Clock, EscalationRule, Metric
from sla.queries import schedule_for
from tests.factories import make_incident
from tests.sla.conftest import local, office_hours
from tickets.models import Category, TimelineEntry

R, FR, NR = Metric.RESOLUTION, Metric.RESPONSE, Metric.NEXT_REPLY
HOUR = 3600


def clock(incident, metric=R) -> Clock:
    return Clock.objects.get(ticket_type="incidents.incident", ticket_id=incident.pk, metric=metric)


def at(moment):
    return time_machine.travel(moment, tick=False)


def hold(incident, agent):
    return transition_incident(incident, "hold", by=agent, fields={"hold_reason": "awaiting_caller"})


def sla_notes(incident):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk,
                                             kind=TimelineEntry.Kind.SYSTEM).values_list("data__sla__event", flat=True))


def tick(tenant, moment):
    with at(moment):
        scanner.tick()
    connection.set_tenant(tenant)


@pytest.fixture
def four_hours(office, make_policy):
    """P5 (the default impact/urgency) resolution in 4 business hours, response in 1."""
    return make_policy(office, targets={(R, 5): 4 * HOUR, (FR, 5): HOUR})


class TestWorkedExamples:
    def test_raised_friday_1630_due_monday_1230(self, tenant, agent, four_hours):
        with at(local(2026, 11, 27, 16, 30)):
            incident = make_incident(by=agent)
        assert clock(incident).deadline == local(2026, 11, 30, 12, 30)
        assert clock(incident, FR).deadline == local(2026, 11, 30, 9, 30)

    def test_raised_friday_1730_due_monday_1300(self, tenant, agent, four_hours):
        with at(local(2026, 11, 27, 17, 30)):
            incident = make_incident(by=agent)
        assert clock(incident).deadline == local(2026, 11, 30, 13, 0)

    def test_two_business_hours_on_hold_move_the_deadline_by_two_business_hours(self, tenant, agent, four_hours):
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent)
        assert clock(incident).deadline == local(2026, 11, 30, 13, 0)
        with at(local(2026, 11, 30, 10, 0)):
            incident = hold(incident, agent)
        assert clock(incident).state == Clock.State.PAUSED
        with at(local(2026, 11, 30, 12, 0)):
            transition_incident(incident, "resume", by=agent)
        assert clock(incident).deadline == local(2026, 11, 30, 15, 0)
        assert clock(incident).paused_seconds == 2 * HOUR
        assert sla_notes(incident) == ["attached", "paused", "paused", "resumed", "resumed"]  # response + resolution

    def test_lunch_break_is_a_gap_in_the_day_not_a_holiday(self, tenant, agent, make_policy):
        calendar = office_hours(name="With lunch", spans=((540, 720), (780, 1020)))
        make_policy(calendar, targets={(R, 5): 2 * HOUR})
        with at(local(2026, 12, 1, 11, 0)):
            incident = make_incident(by=agent)
        assert clock(incident).deadline == local(2026, 12, 1, 14, 0)


class TestPeerFailureModes:
    def test_on_hold_over_a_weekend_counts_business_time_not_wall_clock(self, tenant, agent, four_hours):
        with at(local(2026, 11, 27, 14, 0)):  # Friday
            incident = make_incident(by=agent)
        with at(local(2026, 11, 27, 16, 0)):
            incident = hold(incident, agent)
        with at(local(2026, 11, 30, 10, 0)):  # Monday
            transition_incident(incident, "resume", by=agent)
        resolution = clock(incident)
        assert resolution.paused_seconds == 2 * HOUR  # Fri 16-17 and Mon 9-10, not 66 wall-clock hours
        assert resolution.deadline == local(2026, 11, 30, 12, 0)

    def test_deadline_after_a_pause_stays_inside_working_hours(self, tenant, agent, four_hours):
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent)
        with at(local(2026, 11, 30, 10, 17)):
            incident = hold(incident, agent)
        with at(local(2026, 11, 30, 19, 45)):  # resumed in the evening
            transition_incident(incident, "resume", by=agent)
        resolution = clock(incident)
        schedule = schedule_for(resolution.calendar)
        assert resolution.deadline == local(2026, 12, 1, 11, 43)  # 2h43m left, from 09:00 next morning
        assert schedule.is_working(resolution.deadline - timedelta(seconds=1))

    def test_escalations_fire_in_the_calendars_business_hours_not_at_midnight(self, tenant, agent, make_policy):
        new_york = office_hours(name="New York office", time_zone="America/New_York")
        make_policy(new_york, targets={(R, 5): 4 * HOUR},
                    escalations=[(R, 50, "notify_assignee"), (R, 75, "notify_group"), (R, 100, "raise_priority")])
        from zoneinfo import ZoneInfo

        ny = ZoneInfo("America/New_York")
        with at(local(2026, 11, 27, 16, 0, zone=ny)):  # Friday 16:00 New York = 22:00 Berlin
            incident = make_incident(by=agent)
        # Friday night and the weekend, every hour: nothing is due, nothing fires.
        moment = local(2026, 11, 27, 17, 1, zone=ny)
        while moment < local(2026, 11, 30, 9, 0, zone=ny):
            tick(tenant, moment)
            moment += timedelta(hours=1)
        assert not clock(incident).firings.exists()
        tick(tenant, local(2026, 11, 30, 10, 30, zone=ny))  # Monday: 50% (2h) reached at 10:00
        fired = list(clock(incident).firings.values_list("threshold", flat=True))
        assert fired == [50]
        for firing in clock(incident).firings.all():
            local_time = firing.fired_at.astimezone(ny)
            assert local_time.weekday() < 5 and 9 <= local_time.hour < 17
        for percent in (50, 75, 100):
            due = scanner.services.threshold_moment(clock(incident), percent).astimezone(ny)
            assert due.weekday() < 5 and (9, 0) <= (due.hour, due.minute) <= (17, 0)

    def test_a_policy_swapped_by_a_rule_keeps_the_accumulated_pause(self, tenant, agent, office, make_policy):
        network = Category.objects.create(name="Network")
        make_policy(office, name="Network", order=10, targets={(R, 5): 8 * HOUR}).categories.add(network)
        make_policy(office, name="Default", order=20, targets={(R, 5): 4 * HOUR})
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent)
        assert clock(incident).policy.name == "Default"
        with at(local(2026, 11, 30, 10, 0)):
            incident = hold(incident, agent)
        with at(local(2026, 11, 30, 12, 0)):
            incident = transition_incident(incident, "resume", by=agent)
        with at(local(2026, 11, 30, 12, 30)):
            update_incident(incident, by=agent, changes={"category": network})
        swapped = clock(incident)
        assert swapped.policy.name == "Network"
        assert swapped.paused_seconds == 2 * HOUR
        assert swapped.deadline == local(2026, 12, 1, 11, 0)  # 9:00 + 8h + 2h paused

    def test_next_reply_target_never_overrides_the_first_response_target(self, tenant, agent, requester, office, make_policy):
        make_policy(office, targets={(FR, 5): HOUR, (NR, 5): 30 * 60, (R, 5): 8 * HOUR})
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent, requester=requester)
        with at(local(2026, 11, 30, 9, 10)):  # the requester chases before anyone answered
            add_reply(incident, by=requester, body="Any news?")
        assert clock(incident, FR).deadline == local(2026, 11, 30, 10, 0)
        assert clock(incident, FR).state == Clock.State.RUNNING
        assert not Clock.objects.filter(ticket_id=incident.pk, metric=NR).exists()
        with at(local(2026, 11, 30, 9, 40)):
            add_reply(incident, by=agent, body="Looking at it")
        response = clock(incident, FR)
        assert (response.outcome, response.deadline) == (Clock.Outcome.MET, local(2026, 11, 30, 10, 0))
        with at(local(2026, 11, 30, 11, 0)):
            add_reply(incident, by=requester, body="Still broken")
        next_reply = clock(incident, NR)
        assert next_reply.deadline == local(2026, 11, 30, 11, 30)
        assert clock(incident, FR).deadline == local(2026, 11, 30, 10, 0)
        with at(local(2026, 11, 30, 12, 0)):
            add_reply(incident, by=agent, body="Sorry for the wait")
        assert clock(incident, NR).outcome == Clock.Outcome.BREACHED
        assert clock(incident, FR).outcome == Clock.Outcome.MET

    def test_priority_change_that_moves_the_deadline_into_the_future_rearms_the_breach_and_keeps_the_first(
            self, tenant, agent, office, make_policy):
        make_policy(office, targets={(R, 3): HOUR, (R, 5): 8 * HOUR}, escalations=[(R, 100, "notify_assignee")])
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent, impact=2, urgency=2)  # P3
        assert clock(incident).deadline == local(2026, 11, 30, 10, 0)
        tick(tenant, local(2026, 11, 30, 10, 5))
        assert clock(incident).breached_at == local(2026, 11, 30, 10, 0)
        assert clock(incident).firings.count() == 1
        with at(local(2026, 11, 30, 11, 0)):
            update_incident(incident, by=agent, changes={"impact": 3, "urgency": 3})  # P5: 8h from the open time
        moved = clock(incident)
        assert moved.deadline == local(2026, 11, 30, 17, 0)
        assert moved.breached_at is None  # the new deadline is watched again...
        assert moved.first_breached_at == local(2026, 11, 30, 10, 0)  # ...but the breach that happened stays
        assert not moved.firings.exists()  # the breach escalation is armed again for the new deadline
        assert DueClock.objects.get(clock_id=moved.pk, schema_name=tenant.schema_name).due_at == moved.deadline
        tick(tenant, local(2026, 11, 30, 17, 1))
        assert clock(incident).breached_at == local(2026, 11, 30, 17, 0)
        assert clock(incident).first_breached_at == local(2026, 11, 30, 10, 0)
        assert clock(incident).firings.count() == 1


class TestLifecycle:
    def test_resolution_in_time_is_met_and_late_is_breached(self, tenant, agent, four_hours):
        fields = {"resolution_code": "solved_permanently", "resolution_notes": "Fixed"}
        with at(local(2026, 11, 30, 9, 0)):
            on_time, late = make_incident(by=agent), make_incident(by=agent)
        with at(local(2026, 11, 30, 12, 0)):
            transition_incident(on_time, "resolve", by=agent, fields=fields)
        with at(local(2026, 11, 30, 14, 0)):
            transition_incident(late, "resolve", by=agent, fields=fields)
        assert clock(on_time).outcome == Clock.Outcome.MET
        assert clock(late).outcome == Clock.Outcome.BREACHED
        assert clock(late).breached_at == local(2026, 11, 30, 13, 0)
        # A resolution without any reply also ends the response clock.
        assert clock(on_time, FR).state == Clock.State.STOPPED
        assert not DueClock.objects.filter(schema_name=tenant.schema_name,
                                           clock_id__in=[clock(on_time).pk, clock(late).pk]).exists()

    def test_cancelled_tickets_neither_meet_nor_breach(self, tenant, agent, four_hours):
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent)
        with at(local(2026, 11, 30, 15, 0)):
            transition_incident(incident, "cancel", by=agent, fields={"cancel_reason": "Raised twice"})
        assert clock(incident).outcome == Clock.Outcome.CANCELLED

    def test_reopening_resumes_resolution_without_counting_the_resolved_time(self, tenant, agent, four_hours):
        with at(local(2026, 11, 30, 9, 0)):
            incident = make_incident(by=agent)
        with at(local(2026, 11, 30, 10, 0)):
            incident = transition_incident(incident, "resolve", by=agent,
                                           fields={"resolution_code": "solved_permanently", "resolution_notes": "Done"})
        with at(local(2026, 11, 30, 15, 0)):
            transition_incident(incident, "reopen", by=agent)
        resolution = clock(incident)
        assert (resolution.state, resolution.outcome) == (Clock.State.RUNNING, "")
        assert resolution.deadline == local(2026, 12, 1, 10, 0)  # 3h left at 15:00: 2h today, 1h tomorrow

    def test_no_matching_policy_means_no_clocks(self, tenant, agent, office, make_policy):
        make_policy(office, targets={(R, 1): HOUR}, requester_vip="vip")
        incident = make_incident(by=agent)
        assert not Clock.objects.filter(ticket_id=incident.pk).exists()

    def test_business_time_arithmetic_agrees_with_the_stored_deadline(self, tenant, agent, four_hours):
        with at(local(2026, 11, 27, 16, 30)):
            incident = make_incident(by=agent)
        resolution = clock(incident)
        assert business_time.between(schedule_for(resolution.calendar), resolution.started_at, resolution.deadline) == 4 * HOUR

    def test_every_running_clock_has_one_due_row_in_public(self, tenant, agent, four_hours, other_tenant):
        incident = make_incident(by=agent)
        ids = set(Clock.objects.filter(ticket_id=incident.pk).values_list("pk", flat=True))
        rows = DueClock.objects.filter(schema_name=tenant.schema_name, clock_id__in=ids)
        assert rows.count() == 2
        assert not DueClock.objects.filter(schema_name=other_tenant.schema_name, clock_id__in=ids).exists()


def test_escalation_rule_choices_are_all_implemented():
    from sla import actions

    implemented = actions.NOTIFY | {EscalationRule.Action.REASSIGN, EscalationRule.Action.RAISE_PRIORITY,
                                    EscalationRule.Action.ADD_WATCHERS}
    assert implemented == set(EscalationRule.Action.values)


def test_timeline_reads_24x7_deadlines_in_the_tenants_zone(tenant, agent, make_policy):
    from django_tenants.utils import schema_context

    from sla.models import Calendar

    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    make_policy(Calendar.objects.get(is_24x7=True), targets={(R, 5): 4 * HOUR})
    with schema_context(tenant.schema_name), at(local(2026, 11, 30, 9, 0)):  # as the demo seeding does
        incident = make_incident(by=agent)
    connection.set_tenant(tenant)
    [note] = TimelineEntry.objects.filter(ticket_id=incident.pk, data__sla__event="attached").values_list("body", flat=True)
    assert "Resolution due Mon 30 Nov 2026 07:00 EST" in note


def test_attaching_a_policy_costs_a_fixed_number_of_queries(tenant, agent, office, make_policy,
                                                             django_assert_num_queries):
    """Creating an incident under a policy: the SLA part stays constant, whatever the number of policies."""
    for n in range(3):
        make_policy(office, name=f"VIP {n}", order=n, requester_vip="vip", targets={(R, 5): HOUR})
    make_policy(office, targets={(R, 5): 4 * HOUR, (FR, 5): HOUR}, escalations=[(R, 75, "notify_assignee")])
    make_incident(by=agent)  # warm the rules cache and the schedule cache
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as ctx:
        make_incident(by=agent)
    sla = [q["sql"] for q in ctx.captured_queries if "sla_" in q["sql"]]
    # policies, their categories, their targets, the targets' calendars; one insert for both clocks; one due upsert.
    assert len(sla) == 6, sla
