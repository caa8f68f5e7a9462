"""SLA configuration services: every refusal saves nothing; admins only; text and "HH:MM" helpers."""

from datetime import date, timedelta

import pytest

from sla import configuration
from sla.configuration import (
    delete_calendar,
    delete_policy,
    import_holidays,
    parse_holidays,
    parse_hours,
    parse_minute,
    save_calendar,
    save_policy,
)
from core.exceptions import NotPermitted, ValidationFailed
from sla.models import Calendar, Clock, EscalationRule, Holiday, Metric, Policy, Target, WorkingHours
from tests.factories import AdminFactory, AgentFactory, RequesterFactory
from tests.sla.conftest import local, office_hours
from tickets.models import Category

R, FR = Metric.RESOLUTION, Metric.RESPONSE
OFFICE = [(d, 540, 1020) for d in range(5)]


@pytest.fixture
def admin(tenant):
    return AdminFactory()


def counts():
    return (Calendar.objects.count(), WorkingHours.objects.count(), Holiday.objects.count(), Policy.objects.count(),
            Target.objects.count(), EscalationRule.objects.count())


def refused(call, **kwargs) -> ValidationFailed:
    """Call a service that must refuse, and check that nothing was written."""
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        call(**kwargs)
    assert counts() == before
    return info.value


def calendar_args(**overrides):
    return {"name": "Office", "time_zone": "Europe/Berlin", "hours": OFFICE, **overrides}


# -- "HH:MM" and text ---------------------------------------------------------------------------

class TestParsing:
    def test_minutes(self):
        assert parse_minute("09:30") == 570 and parse_minute("0:00") == 0 and parse_minute("23:59") == 1439
        assert parse_minute("24:00", end=True) == 1440
        assert configuration.format_minute(1440) == "24:00" and configuration.format_minute(570) == "09:30"

    @pytest.mark.parametrize("text, end, message", [
        ("24:00", False, "24:00 can only end"),
        ("24:30", True, "not a time of day"),
        ("9h", False, "not a time of day"),
        ("12:60", False, "not a time of day"),
        ("", False, "not a time of day"),
    ])
    def test_bad_minutes(self, text, end, message):
        with pytest.raises(ValueError, match=message):
            parse_minute(text, end=end)

    def test_hours_text_round_trip(self):
        text = "Mon-Fri 09:00-12:00, 13:00-17:00\n# weekend\nSat 10:00-14:00\n\nsunday 22:00-24:00"
        rows = parse_hours(text)
        assert (0, 540, 720) in rows and (4, 780, 1020) in rows and (5, 600, 840) in rows and (6, 1320, 1440) in rows
        assert len(rows) == 12
        assert configuration.format_hours(rows) == "Mon-Fri 09:00-12:00, 13:00-17:00\nSat 10:00-14:00\nSun 22:00-24:00"
        assert parse_hours(configuration.format_hours(rows)) == rows

    def test_hours_text_errors_name_the_line(self):
        with pytest.raises(ValidationFailed) as info:
            parse_hours("Mon-Fri 09:00-17:00\nFunday 09:00-10:00\nTue 09:00\nWed 25:00-26:00")
        assert info.value.fields["hours"] == [
            "Line 2: 'Funday' is not a day or day range (e.g. Mon, Friday, Mon-Fri).",
            "Line 3: '09:00' is not a time range (use HH:MM-HH:MM).",
            "Line 4: '25:00' is not a time of day (use 00:00 to 23:59, or 24:00 as an end).",
        ]

    def test_holidays_text(self):
        rows = parse_holidays("2026-12-25 Christmas Day\n\n# comment\n2026-12-26  Boxing Day")
        assert rows == [(date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 26), "Boxing Day")]
        assert configuration.format_holidays(rows) == "2026-12-25 Christmas Day\n2026-12-26 Boxing Day"

    def test_holidays_text_errors_name_the_line(self):
        with pytest.raises(ValidationFailed) as info:
            parse_holidays("2026-12-25 Christmas\n26.12.2026 Boxing Day\n2026-13-01 Nope\n2026-01-01")
        assert info.value.fields["holidays"] == [
            "Line 2: '26.12.2026' is not a date (use YYYY-MM-DD).",
            "Line 3: '2026-13-01' is not a date (use YYYY-MM-DD).",
            "Line 4: give the holiday a name after the date, e.g. '2026-01-01 New Year'.",
        ]


# -- calendars ---------------------------------------------------------------------------------

class TestSaveCalendar:
    def test_creates_with_hours_and_holidays(self, admin):
        calendar = save_calendar(by=admin, description=" Berlin office ", holidays=[(date(2026, 12, 25), "Christmas")],
                                 **calendar_args(hours=[(0, 540, 720), (0, 780, 1020), (1, 540, 1020)]))
        assert calendar.description == "Berlin office"
        assert [(h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all()] == [
            (0, 540, 720), (0, 780, 1020), (1, 540, 1020)]
        assert [(h.date, h.name) for h in calendar.holidays.all()] == [(date(2026, 12, 25), "Christmas")]
        assert calendar.schedule().hours[0] == ((540, 720), (780, 1020))

    def test_edit_replaces_hours_keeps_holidays_when_none_and_bumps_updated_at(self, admin):
        calendar = save_calendar(by=admin, holidays=[(date(2026, 1, 1), "New Year")], **calendar_args())
        stamp = calendar.updated_at
        save_calendar(by=admin, calendar=calendar, **calendar_args(name="Office 2", hours=[(5, 0, 1440)]))
        calendar.refresh_from_db()
        assert calendar.name == "Office 2" and calendar.updated_at > stamp
        assert list(calendar.hours.values_list("weekday", "start_minute", "end_minute")) == [(5, 0, 1440)]
        assert calendar.holidays.count() == 1
        save_calendar(by=admin, calendar=calendar, holidays=[], **calendar_args())
        assert calendar.holidays.count() == 0

    def test_adjacent_intervals_are_not_an_overlap(self, admin):
        calendar = save_calendar(by=admin, **calendar_args(hours=[(0, 540, 720), (0, 720, 1020)]))
        assert calendar.hours.count() == 2

    @pytest.mark.parametrize("overrides, field, message", [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone 'Mars/Olympus'."),
        ({"time_zone": ""}, "time_zone", "A time zone is required, e.g. Europe/Berlin."),
        ({"name": "  "}, "name", "A name is required."),
        ({"hours": [(7, 540, 1020)]}, "hours", "Weekday 7 does not exist: use 0 (Monday) to 6 (Sunday)."),
        ({"hours": [(0, 1020, 540)]}, "hours", "Monday 17:00-09:00: the end must be after the start."),
        ({"hours": [(0, 540, 540)]}, "hours", "Monday 09:00-09:00: the end must be after the start."),
        ({"hours": [(2, 540, 1500)]}, "hours", "Wednesday 09:00-25:00: working hours lie between 00:00 and 24:00."),
        ({"hours": [(0, 540, 720), (0, 660, 1020)]}, "hours", "Monday 09:00-12:00 overlaps 11:00-17:00."),
        ({"hours": [(4, 540, 1020), (4, 540, 1020)]}, "hours", "Friday 09:00-17:00 overlaps 09:00-17:00."),
        ({"hours": []}, "hours", "Add working hours: a calendar without working time could never meet a target."),
        ({"hours": [("Mon", 540, 1020)]}, "hours", "('Mon', 540, 1020): weekday and minutes must be whole numbers."),
        ({"holidays": [(date(2026, 1, 1), "New Year"), (date(2026, 1, 1), "Again")]}, "holidays",
         "2026-01-01 is listed twice."),
        ({"holidays": [(date(2026, 1, 1), "")]}, "holidays", "2026-01-01: a name is required."),
    ])
    def test_refusals(self, admin, overrides, field, message):
        error = refused(save_calendar, by=admin, **calendar_args(**overrides))
        assert message in error.fields[field], error.fields
        assert error.message == "The calendar was not saved."

    def test_duplicate_name_is_refused_case_insensitively(self, admin):
        save_calendar(by=admin, **calendar_args())
        error = refused(save_calendar, by=admin, **calendar_args(name="OFFICE"))
        assert error.fields["name"] == ["A calendar called 'OFFICE' already exists."]

    def test_a_refused_edit_leaves_the_calendar_as_it_was(self, admin):
        calendar = save_calendar(by=admin, holidays=[(date(2026, 1, 1), "New Year")], **calendar_args())
        stamp = calendar.updated_at
        refused(save_calendar, by=admin, calendar=calendar, holidays=[],
                **calendar_args(name="Changed", hours=[(0, 540, 720), (0, 600, 700)]))
        calendar.refresh_from_db()
        assert calendar.name == "Office" and calendar.updated_at == stamp
        assert calendar.hours.count() == 5 and calendar.holidays.count() == 1

    def test_only_tenant_admins(self, tenant):
        for person in (AgentFactory(), RequesterFactory()):
            before = counts()
            with pytest.raises(NotPermitted):
                save_calendar(by=person, **calendar_args())
            assert counts() == before

    def test_the_24x7_calendar_can_be_renamed_but_its_hours_never_change(self, admin):
        always = Calendar.objects.get(is_24x7=True)
        save_calendar(by=admin, calendar=always, name="Round the clock", time_zone="UTC", description="Ops", hours=[])
        always.refresh_from_db()
        assert always.name == "Round the clock" and always.description == "Ops"
        # Its own representation (every day 00:00-24:00) is accepted back unchanged.
        save_calendar(by=admin, calendar=always, name="Round the clock", time_zone="UTC",
                      hours=list(configuration.FULL_WEEK))
        error = refused(save_calendar, by=admin, calendar=always, name="24x7", time_zone="UTC", hours=OFFICE)
        assert error.fields["hours"] == ["The built-in 24x7 calendar works round the clock; its hours cannot be changed."]
        error = refused(save_calendar, by=admin, calendar=always, name="24x7", time_zone="UTC", hours=[],
                        holidays=[(date(2026, 1, 1), "New Year")])
        assert "no holidays" in error.fields["holidays"][0]
        assert always.hours.count() == 0 and always.holidays.count() == 0


class TestImportHolidays:
    def test_imports_national_and_regional_holidays_and_skips_dates_present(self, admin):
        calendar = save_calendar(by=admin, holidays=[(date(2026, 12, 25), "Weihnachten")], **calendar_args())
        stamp = calendar.updated_at
        added = import_holidays(by=admin, calendar=calendar, country="de", years=[2026])
        assert added == 8  # nine national holidays, Christmas Day already there
        assert calendar.holidays.get(date=date(2026, 12, 25)).name == "Weihnachten"
        assert calendar.holidays.filter(date=date(2026, 4, 3)).exists()  # Good Friday
        calendar.refresh_from_db()
        assert calendar.updated_at > stamp
        assert import_holidays(by=admin, calendar=calendar, country="DE", years=[2026]) == 0
        # Bavaria adds Epiphany (6 January) and more.
        assert import_holidays(by=admin, calendar=calendar, country="DE", subdivision="by", years=[2026]) > 0
        assert calendar.holidays.filter(date=date(2026, 1, 6)).exists()

    @pytest.mark.parametrize("arguments, field, message", [
        ({"country": "XX", "years": [2026]}, "country", "Unknown country code 'XX'"),
        ({"country": "", "years": [2026]}, "country", "A country code is required"),
        ({"country": "DE", "subdivision": "ZZ", "years": [2026]}, "subdivision", "'ZZ' is not a subdivision of DE."),
        ({"country": "DE", "years": [1969, 2026]}, "years", "Years must lie between 1970 and 2100 (not 1969)."),
        ({"country": "DE", "years": [2101]}, "years", "Years must lie between 1970 and 2100 (not 2101)."),
        ({"country": "DE", "years": []}, "years", "Name at least one year."),
    ])
    def test_refusals(self, admin, arguments, field, message):
        calendar = save_calendar(by=admin, **calendar_args())
        error = refused(import_holidays, by=admin, calendar=calendar, **arguments)
        assert message in error.fields[field][0]

    def test_not_for_the_24x7_calendar_nor_for_agents(self, admin):
        refused(import_holidays, by=admin, calendar=Calendar.objects.get(is_24x7=True), country="DE", years=[2026])
        calendar = save_calendar(by=admin, **calendar_args())
        with pytest.raises(NotPermitted):
            import_holidays(by=AgentFactory(), calendar=calendar, country="DE", years=[2026])
        assert calendar.holidays.count() == 0


class TestDeleteCalendar:
    def test_deletes_an_unused_calendar(self, admin):
        calendar = save_calendar(by=admin, holidays=[(date(2026, 1, 1), "New Year")], **calendar_args())
        delete_calendar(by=admin, calendar=calendar)
        assert not Calendar.objects.filter(pk=calendar.pk).exists() and not Holiday.objects.exists()

    def test_refuses_the_24x7_calendar(self, admin):
        error = refused(delete_calendar, by=admin, calendar=Calendar.objects.get(is_24x7=True))
        assert error.message == "The built-in 24x7 calendar cannot be deleted."

    def test_refuses_a_calendar_in_use_and_names_the_policies(self, admin, make_policy):
        calendar = save_calendar(by=admin, **calendar_args())
        make_policy(calendar, targets={(R, 1): 3600}, name="Gold")
        error = refused(delete_calendar, by=admin, calendar=calendar)
        assert "targets of policies 'Gold'" in error.message

    def test_refuses_a_calendar_clocks_were_measured_on(self, admin, make_policy):
        calendar = save_calendar(by=admin, **calendar_args())
        policy = make_policy(Calendar.objects.get(is_24x7=True), targets={(R, 1): 3600}, name="Silver")
        stopped_clock(policy, calendar)
        error = refused(delete_calendar, by=admin, calendar=calendar)
        assert "clocks measured under policies 'Silver'" in error.message

    def test_only_tenant_admins(self, admin):
        calendar = save_calendar(by=admin, **calendar_args())
        with pytest.raises(NotPermitted):
            delete_calendar(by=AgentFactory(), calendar=calendar)
        assert Calendar.objects.filter(pk=calendar.pk).exists()


def stopped_clock(policy, calendar, *, ticket_id=1, outcome=Clock.Outcome.MET) -> Clock:
    start = local(2026, 3, 2, 9)
    return Clock.objects.create(ticket_type="incidents.incident", ticket_id=ticket_id, metric=R, policy=policy,
                                calendar=calendar, priority=1, target_seconds=3600, started_at=start,
                                deadline=start + timedelta(hours=1), state=Clock.State.STOPPED,
                                stopped_at=start + timedelta(minutes=30), outcome=outcome)


# -- what-if -----------------------------------------------------------------------------------

class TestWhatIf:
    def test_friday_1630_plus_four_hours_is_monday_1230(self, tenant):
        office = office_hours()
        due = configuration.due_after(calendar=office, start=local(2026, 3, 6, 16, 30), seconds=4 * 3600)
        assert due == local(2026, 3, 9, 12, 30)
        assert configuration.business_seconds_between(calendar=office, start=local(2026, 3, 6, 16, 30),
                                                      end=local(2026, 3, 9, 13)) == 4.5 * 3600

    def test_refusals(self, tenant):
        office = office_hours()
        with pytest.raises(ValidationFailed) as info:
            configuration.due_after(calendar=office, start=local(2026, 3, 6), seconds=-1)
        assert "duration" in info.value.fields
        with pytest.raises(ValidationFailed) as info:
            configuration.business_seconds_between(calendar=office, start=local(2026, 3, 6), end=local(2026, 3, 5))
        assert info.value.fields == {"end": ["The end must not be before the start."]}


# -- policies ----------------------------------------------------------------------------------

def policy_args(calendar, **overrides):
    return {"name": "Standard", "ticket_type": "incidents.incident", "order": 100,
            "targets": [{"metric": R, "priority": 1, "duration_seconds": 4 * 3600, "calendar": calendar},
                        {"metric": FR, "priority": 1, "duration_seconds": 3600, "calendar": calendar}],
            **overrides}


class TestSavePolicy:
    def test_creates_with_conditions_targets_and_escalations(self, admin, office, agent, group):
        network = Category.objects.create(name="Network")
        watcher = AgentFactory()
        policy = save_policy(by=admin, **policy_args(
            office, categories=[network], channels=["email", "phone", "email"], requester_vip="vip",
            pause_states=["on_hold"],
            escalations=[{"metric": R, "threshold": 75, "action": "notify_group"},
                         {"metric": R, "threshold": 100, "action": "reassign", "group": group, "assignee": agent},
                         {"metric": FR, "threshold": 50, "action": "add_watchers", "users": [watcher]}]))
        assert policy.channels == ["email", "phone"] and policy.requester_vip == "vip"
        assert list(policy.categories.all()) == [network] and policy.pause_states == ["on_hold"]
        assert {(t.metric, t.priority, t.duration_seconds) for t in policy.targets.all()} == {(R, 1, 14400), (FR, 1, 3600)}
        reassign = policy.escalations.get(action="reassign")
        assert (reassign.group, reassign.assignee) == (group, agent)
        assert list(policy.escalations.get(action="add_watchers").users.all()) == [watcher]

    def test_edit_replaces_rows_but_keeps_unchanged_rules_so_they_do_not_fire_twice(self, admin, office):
        policy = save_policy(by=admin, **policy_args(office, escalations=[
            {"metric": R, "threshold": 75, "action": "notify_group"},
            {"metric": R, "threshold": 100, "action": "notify_manager"}]))
        kept = policy.escalations.get(threshold=75)
        kept_target = policy.targets.get(metric=R)
        stamp = policy.updated_at
        save_policy(by=admin, policy=policy, **policy_args(
            office, targets=[{"metric": R, "priority": 1, "duration_seconds": 7200, "calendar": office},
                             {"metric": R, "priority": 2, "duration_seconds": 9000, "calendar": office}],
            escalations=[{"metric": R, "threshold": 75, "action": "notify_group"},
                         {"metric": R, "threshold": 90, "action": "notify_assignee"}]))
        policy.refresh_from_db()
        assert policy.updated_at > stamp
        assert {(t.metric, t.priority, t.duration_seconds) for t in policy.targets.all()} == {(R, 1, 7200), (R, 2, 9000)}
        assert policy.targets.get(metric=R, priority=1).pk == kept_target.pk
        assert {(r.threshold, r.action) for r in policy.escalations.all()} == {(75, "notify_group"), (90, "notify_assignee")}
        assert policy.escalations.get(threshold=75).pk == kept.pk

    @pytest.mark.parametrize("overrides, field, message", [
        ({"ticket_type": "incidents.nothing"}, "ticket_type", "Unknown ticket type 'incidents.nothing'"),
        ({"name": ""}, "name", "A name is required."),
        ({"order": -1}, "order", "Must be a whole number from 0 (first) upwards."),
        ({"targets": []}, "targets", "without targets the policy matches nothing to measure"),
        ({"channels": ["email", "pigeon"]}, "channels", "Unknown channel 'pigeon'"),
        ({"requester_vip": "maybe"}, "requester_vip", "Choose '' (any requester), 'vip' or 'not_vip'."),
        ({"pause_states": ["resolved"]}, "pause_states", "'resolved' cannot pause a clock"),
        ({"pause_states": ["closed"]}, "pause_states", "'closed' cannot pause a clock"),
        ({"pause_states": ["sleeping"]}, "pause_states", "'sleeping' cannot pause a clock"),
    ])
    def test_refusals(self, admin, office, overrides, field, message):
        error = refused(save_policy, by=admin, **policy_args(office, **overrides))
        assert any(message in text for text in error.fields[field]), error.fields
        assert error.message == "The policy was not saved."

    @pytest.mark.parametrize("target, field, message", [
        ({"duration_seconds": 0}, "targets.1.duration_seconds", "Must be a positive whole number of seconds."),
        ({"duration_seconds": -60}, "targets.1.duration_seconds", "Must be a positive whole number of seconds."),
        ({"duration_seconds": 400 * 86400}, "targets.1.duration_seconds", "At most 366 days."),
        ({"metric": "lunch"}, "targets.1.metric", "Unknown metric 'lunch'"),
        ({"priority": 9}, "targets.1.priority", "Priority must be 1 to 5."),
        ({"calendar": None}, "targets.1.calendar", "A calendar is required."),
        ({"metric": R}, "targets", "Resolution at P1 has more than one target."),
    ])
    def test_target_refusals(self, admin, office, target, field, message):
        targets = [{"metric": R, "priority": 1, "duration_seconds": 3600, "calendar": office},
                   {"metric": FR, "priority": 1, "duration_seconds": 600, "calendar": office, **target}]
        error = refused(save_policy, by=admin, **policy_args(office, targets=targets))
        assert error.fields[field] == [message] or message in error.fields[field][0]

    def test_inactive_category_is_refused(self, admin, office):
        old = Category.objects.create(name="Fax", is_active=False)
        error = refused(save_policy, by=admin, **policy_args(office, categories=[old]))
        assert error.fields["categories"] == ["Inactive categories cannot be matched: Fax."]

    def test_active_policies_of_a_type_need_different_orders(self, admin, office):
        save_policy(by=admin, **policy_args(office, name="Gold", channels=["email"]))
        error = refused(save_policy, by=admin, **policy_args(office, name="Silver", channels=["phone"]))
        assert error.fields["order"] == ["Conflicts with policy 'Gold' at order 100: "
                                         "active policies of one ticket type need different orders."]
        # An inactive policy may share the order.
        save_policy(by=admin, **policy_args(office, name="Silver", channels=["phone"], is_active=False))

    def test_a_policy_behind_a_catch_all_could_never_apply(self, admin, office):
        save_policy(by=admin, **policy_args(office, name="Everything", order=10))
        error = refused(save_policy, by=admin, **policy_args(office, name="VIP", order=20, requester_vip="vip"))
        assert error.fields["order"][0].startswith("Could never apply: policy 'Everything' (order 10) comes first "
                                                   "and has no conditions")

    def test_a_catch_all_before_other_policies_would_hide_them(self, admin, office):
        save_policy(by=admin, **policy_args(office, name="VIP", order=20, requester_vip="vip"))
        error = refused(save_policy, by=admin, **policy_args(office, name="Everything", order=10))
        assert "would match every ticket before 'VIP' (order 20)" in error.fields["order"][0]
        save_policy(by=admin, **policy_args(office, name="Everything", order=30))

    @pytest.mark.parametrize("rule, field, message", [
        ({"threshold": 0}, "escalations.0.threshold", "Must be 1 to 1000 percent of the target (100 is the breach)."),
        ({"threshold": 1001}, "escalations.0.threshold", "Must be 1 to 1000 percent of the target (100 is the breach)."),
        ({"action": "reassign"}, "escalations.0.group", "Reassigning needs a group."),
        ({"action": "add_watchers"}, "escalations.0.users", "Adding watchers needs at least one person."),
        ({"metric": Metric.NEXT_REPLY}, "escalations.0.metric", "The policy has no next reply target to escalate on."),
        ({"action": "shout"}, "escalations.0.action", "Unknown action 'shout'"),
    ])
    def test_escalation_refusals(self, admin, office, rule, field, message):
        rules = [{"metric": R, "threshold": 100, "action": "notify_group", **rule}]
        error = refused(save_policy, by=admin, **policy_args(office, escalations=rules))
        assert message in error.fields[field][0], error.fields

    def test_reassign_to_someone_outside_the_group_is_refused(self, admin, office, group):
        outsider = AgentFactory(full_name="Olive Outsider")
        rules = [{"metric": R, "threshold": 100, "action": "reassign", "group": group, "assignee": outsider}]
        error = refused(save_policy, by=admin, **policy_args(office, escalations=rules))
        assert error.fields["escalations.0.assignee"] == [f"Olive Outsider is not an active member of {group}."]

    def test_duplicate_escalations_are_refused(self, admin, office):
        rule = {"metric": R, "threshold": 100, "action": "notify_group"}
        error = refused(save_policy, by=admin, **policy_args(office, escalations=[rule, dict(rule)]))
        assert error.fields["escalations"] == ["Resolution at 100%: 'Notify the assignment group' is listed twice."]

    def test_a_refused_edit_leaves_the_policy_as_it_was(self, admin, office):
        policy = save_policy(by=admin, **policy_args(office))
        refused(save_policy, by=admin, policy=policy, **policy_args(office, name="Renamed", targets=[]))
        policy.refresh_from_db()
        assert policy.name == "Standard" and policy.targets.count() == 2

    def test_only_tenant_admins(self, tenant, office):
        before = counts()
        with pytest.raises(NotPermitted):
            save_policy(by=AgentFactory(), **policy_args(office))
        assert counts() == before


class TestDeletePolicy:
    def test_deletes_an_unused_policy_with_its_rows(self, admin, office):
        policy = save_policy(by=admin, **policy_args(office, escalations=[
            {"metric": R, "threshold": 100, "action": "notify_group"}]))
        removal = delete_policy(by=admin, policy=policy)
        assert removal.deleted and not Policy.objects.exists() and not Target.objects.exists()
        assert not EscalationRule.objects.exists()

    def test_a_policy_with_clocks_is_deactivated_instead(self, admin, office):
        policy = save_policy(by=admin, **policy_args(office))
        stamp = policy.updated_at
        stopped_clock(policy, office)
        removal = delete_policy(by=admin, policy=policy)
        assert not removal.deleted and "deactivated instead of deleted" in removal.message
        policy.refresh_from_db()
        assert not policy.is_active and policy.updated_at > stamp and policy.targets.count() == 2

    def test_only_tenant_admins(self, admin, office):
        policy = save_policy(by=admin, **policy_args(office))
        with pytest.raises(NotPermitted):
            delete_policy(by=AgentFactory(), policy=policy)
        assert Policy.objects.filter(pk=policy.pk, is_active=True).exists()


def test_policy_fields_round_trip(admin, office, group):
    policy = save_policy(by=admin, **policy_args(office, channels=["email"], escalations=[
        {"metric": R, "threshold": 100, "action": "reassign", "group": group}]))
    fields = configuration.policy_fields(policy)
    assert fields["escalations"] == [{"metric": R, "threshold": 100, "action": "reassign", "group": group,
                                      "assignee": None, "users": []}]
    save_policy(by=admin, policy=policy, **fields)  # unchanged values are accepted back
    assert configuration.policy_fields(Policy.objects.get(pk=policy.pk)) == fields
