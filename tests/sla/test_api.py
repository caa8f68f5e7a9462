"""/api/v1/sla/: calendars and the what-if calculators, policies, clocks, compliance, roles, isolation, schema."""

from datetime import datetime, timezone as dt_timezone

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from sla.models import Calendar, Clock, EscalationRule, Holiday, Metric, Policy, Target, WorkingHours
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AdminFactory, AgentFactory, make_incident
from tests.sla.conftest import local, office_hours
from tickets.models import Category

BASE = "/api/v1/sla"
CALENDARS, POLICIES, CLOCKS, COMPLIANCE = (f"{BASE}/{name}/" for name in ("calendars", "policies", "clocks",
                                                                          "compliance"))
R, FR = Metric.RESOLUTION, Metric.RESPONSE
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture
def admin(tenant):
    return AdminFactory()


@pytest.fixture
def admin_api(tenant, admin):
    return api_client(tenant, admin)


@pytest.fixture
def agent_api(tenant, agent):
    return api_client(tenant, agent)


def calendar_body(**overrides):
    return {"name": "Berlin office", "time_zone": "Europe/Berlin", "description": "Head office", "hours": WEEKDAYS,
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}], **overrides}


def policy_body(calendar, **overrides):
    return {"name": "Standard", "ticket_type": "incidents.incident", "order": 100,
            "targets": [{"metric": R, "priority": 5, "duration_seconds": 4 * 3600, "calendar": calendar.pk},
                        {"metric": FR, "priority": 5, "duration_seconds": 3600, "calendar": calendar.pk}],
            **overrides}


def queries_for(api, url) -> int:
    api.get(url)  # warm up: token bookkeeping and cached schedules
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def table_counts():
    return (Calendar.objects.count(), WorkingHours.objects.count(), Holiday.objects.count(), Policy.objects.count(),
            Target.objects.count(), EscalationRule.objects.count())


# -- access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [CALENDARS, POLICIES, CLOCKS, f"{COMPLIANCE}?start=2026-03-01&end=2026-04-01"])
def test_anonymous_is_401(tenant, url):
    response = api_client(tenant).get(url)
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [CALENDARS, POLICIES, CLOCKS, f"{COMPLIANCE}?start=2026-03-01&end=2026-04-01"])
def test_requesters_see_nothing_of_sla(tenant, requester, url):
    response = api_client(tenant, requester).get(url)
    assert response.status_code == 403
    assert error_of(response)["detail"] == "SLA configuration and clocks are for the service desk team."


def test_requesters_cannot_use_the_calculators(tenant, requester):
    calendar = office_hours()
    response = api_client(tenant, requester).post(f"{CALENDARS}{calendar.pk}/add-business-time/",
                                                  {"start": "2026-03-06T16:30:00+01:00", "duration": "PT4H"})
    assert response.status_code == 403


def test_agents_read_but_do_not_write(tenant, agent_api, make_policy):
    calendar = office_hours()
    policy = make_policy(calendar, targets={(R, 5): 3600})
    before = table_counts()
    assert agent_api.get(CALENDARS).status_code == 200
    assert agent_api.get(f"{POLICIES}{policy.pk}/").status_code == 200
    attempts = [
        agent_api.post(CALENDARS, calendar_body()),
        agent_api.patch(f"{CALENDARS}{calendar.pk}/", {"name": "Mine now"}),
        agent_api.put(f"{CALENDARS}{calendar.pk}/", calendar_body()),
        agent_api.delete(f"{CALENDARS}{calendar.pk}/"),
        agent_api.post(f"{CALENDARS}{calendar.pk}/import-holidays/", {"country": "DE", "years": [2026]}),
        agent_api.post(POLICIES, policy_body(calendar, name="Other", order=5)),
        agent_api.patch(f"{POLICIES}{policy.pk}/", {"order": 7}),
        agent_api.delete(f"{POLICIES}{policy.pk}/"),
    ]
    for response in attempts:
        assert response.status_code == 403, response.json()
        assert error_of(response)["detail"] == "Only tenant admins can change SLA configuration."
    assert table_counts() == before
    calendar.refresh_from_db()
    assert calendar.name == "Office hours"


# -- calendars -------------------------------------------------------------------------------------

class TestCalendars:
    def test_create_and_read(self, admin_api, agent_api):
        response = admin_api.post(CALENDARS, calendar_body(hours=[
            {"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "17:00"},
            {"weekday": 5, "start": "22:00", "end": "24:00"}]))
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["name"] == "Berlin office" and body["time_zone"] == "Europe/Berlin" and body["is_24x7"] is False
        assert body["hours"] == [
            {"weekday": 0, "weekday_name": "Monday", "start": "09:00", "end": "12:00"},
            {"weekday": 0, "weekday_name": "Monday", "start": "13:00", "end": "17:00"},
            {"weekday": 5, "weekday_name": "Saturday", "start": "22:00", "end": "24:00"}]
        assert body["holidays"] == [{"date": "2026-12-25", "name": "Christmas"}]
        assert agent_api.get(f"{CALENDARS}{body['id']}/").json() == body

    def test_list_shows_24x7_first_with_its_full_week(self, agent_api):
        office_hours()
        few = queries_for(agent_api, CALENDARS)
        office_hours(name="Second")
        office_hours(name="Third")
        assert queries_for(agent_api, CALENDARS) == few  # hours and holidays are prefetched
        rows = agent_api.get(CALENDARS).json()
        assert [r["name"] for r in rows] == ["24x7", "Office hours", "Second", "Third"]
        assert rows[0]["is_24x7"] and len(rows[0]["hours"]) == 7
        assert rows[0]["hours"][6] == {"weekday": 6, "weekday_name": "Sunday", "start": "00:00", "end": "24:00"}

    @pytest.mark.parametrize("overrides, field, message", [
        ({"hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "17:00"}]},
         "hours", "Monday 09:00-12:00 overlaps 11:00-17:00."),
        ({"hours": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}, "hours",
         "Monday 17:00-09:00: the end must be after the start."),
        ({"hours": [{"weekday": 9, "start": "09:00", "end": "17:00"}]}, "hours",
         "Weekday 9 does not exist: use 0 (Monday) to 6 (Sunday)."),
        ({"hours": [{"weekday": 0, "start": "9am", "end": "17:00"}]}, "hours.0.start",
         "'9am' is not a time of day (use HH:MM, e.g. 09:00)."),
        ({"hours": [{"weekday": 0, "start": "24:00", "end": "24:00"}]}, "hours.0.start",
         "24:00 can only end an interval; start the day at 00:00."),
        ({"hours": [{"weekday": 0, "start": "09:00", "end": "17:00", "lunch": True}]}, "hours.0.lunch", "Unknown field."),
        ({"hours": []}, "hours", "Add working hours: a calendar without working time could never meet a target."),
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "Unknown time zone 'Europe/Atlantis'."),
        ({"holidays": [{"date": "2026-13-01", "name": "Nope"}]}, "holidays.0.date", None),
        ({"holidays": [{"date": "2026-01-01", "name": "A"}, {"date": "2026-01-01", "name": "B"}]}, "holidays",
         "2026-01-01 is listed twice."),
        ({"name": ""}, "name", None),
    ])
    def test_bad_input_is_400_with_field_messages_and_saves_nothing(self, admin_api, overrides, field, message):
        before = table_counts()
        response = admin_api.post(CALENDARS, calendar_body(**overrides))
        assert response.status_code == 400
        body = error_of(response)
        assert body["code"] == "invalid" and field in body["fields"], body
        if message:
            assert message in body["fields"][field]
        assert table_counts() == before

    def test_duplicate_name_is_400(self, admin_api):
        office_hours(name="Berlin office")
        response = admin_api.post(CALENDARS, calendar_body(name="berlin OFFICE"))
        assert response.status_code == 400
        assert error_of(response)["fields"]["name"] == ["A calendar called 'berlin OFFICE' already exists."]

    def test_put_replaces_and_patch_changes_only_what_is_given(self, admin_api):
        calendar_id = admin_api.post(CALENDARS, calendar_body()).json()["id"]
        url = f"{CALENDARS}{calendar_id}/"
        body = admin_api.patch(url, {"name": "Renamed"}).json()
        assert body["name"] == "Renamed" and len(body["hours"]) == 5 and body["description"] == "Head office"
        assert body["holidays"] == [{"date": "2026-12-25", "name": "Christmas"}]
        stamp = body["updated_at"]
        response = admin_api.put(url, {"name": "Weekend", "time_zone": "UTC",
                                       "hours": [{"weekday": 6, "start": "00:00", "end": "24:00"}]})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["description"] == "" and body["time_zone"] == "UTC" and body["updated_at"] > stamp
        assert [h["weekday"] for h in body["hours"]] == [6]
        assert body["holidays"] == [{"date": "2026-12-25", "name": "Christmas"}]  # omitted: kept
        assert admin_api.patch(url, {"holidays": []}).json()["holidays"] == []
        # PUT needs the whole calendar.
        response = admin_api.put(url, {"name": "Only a name"})
        assert response.status_code == 400 and set(error_of(response)["fields"]) == {"time_zone", "hours"}

    def test_the_24x7_calendar_can_be_renamed_but_not_reshaped_or_deleted(self, admin_api):
        always = Calendar.objects.get(is_24x7=True)
        url = f"{CALENDARS}{always.pk}/"
        assert admin_api.patch(url, {"name": "Always on"}).json()["name"] == "Always on"
        representation = admin_api.get(url).json()
        response = admin_api.put(url, {"name": "Always on", "time_zone": "UTC", "hours": [
            {k: h[k] for k in ("weekday", "start", "end")} for h in representation["hours"]]})
        assert response.status_code == 200
        response = admin_api.patch(url, {"hours": WEEKDAYS})
        assert response.status_code == 400
        assert error_of(response)["fields"]["hours"] == [
            "The built-in 24x7 calendar works round the clock; its hours cannot be changed."]
        response = admin_api.delete(url)
        assert response.status_code == 400
        assert error_of(response)["detail"] == "The built-in 24x7 calendar cannot be deleted."
        assert Calendar.objects.filter(pk=always.pk).exists()

    def test_delete(self, admin_api, make_policy):
        unused, used = office_hours(name="Unused"), office_hours(name="Used")
        make_policy(used, targets={(R, 1): 3600}, name="Gold")
        assert admin_api.delete(f"{CALENDARS}{unused.pk}/").status_code == 204
        assert not Calendar.objects.filter(pk=unused.pk).exists()
        response = admin_api.delete(f"{CALENDARS}{used.pk}/")
        assert response.status_code == 400 and "'Gold'" in error_of(response)["detail"]
        assert Calendar.objects.filter(pk=used.pk).exists()
        assert admin_api.delete(f"{CALENDARS}999999/").status_code == 404

    def test_import_holidays(self, admin_api):
        calendar = office_hours()
        url = f"{CALENDARS}{calendar.pk}/import-holidays/"
        response = admin_api.post(url, {"country": "DE", "subdivision": "BY", "years": [2026]})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["added"] > 9 and len(body["calendar"]["holidays"]) == body["added"]
        assert {"date": "2026-01-06", "name": "Epiphany"} in body["calendar"]["holidays"]
        assert admin_api.post(url, {"country": "DE", "years": [2026]}).json()["added"] == 0
        before = Holiday.objects.count()
        response = admin_api.post(url, {"country": "QQ", "subdivision": "", "years": [1900]})
        assert response.status_code == 400
        fields = error_of(response)["fields"]
        assert fields["country"] == ["Unknown country code 'QQ': use an ISO 3166 code such as DE, GB or US."]
        assert fields["years"] == ["Years must lie between 1970 and 2100 (not 1900)."]
        response = admin_api.post(url, {"country": "DE", "years": ["soon"]})
        assert response.status_code == 400 and "years.0" in error_of(response)["fields"]
        assert Holiday.objects.count() == before


# -- what-if ---------------------------------------------------------------------------------------

class TestWhatIf:
    def test_friday_1630_berlin_plus_four_business_hours_is_monday_1230(self, tenant, agent_api):
        calendar = office_hours()  # Mon-Fri 09:00-17:00 Europe/Berlin
        response = agent_api.post(f"{CALENDARS}{calendar.pk}/add-business-time/",
                                  {"start": "2026-03-06T16:30:00+01:00", "duration": "PT4H"})
        assert response.status_code == 200, response.json()
        assert response.json() == {"start": "2026-03-06T15:30:00Z", "duration_seconds": 14400.0,
                                   "due": "2026-03-09T11:30:00Z", "due_local": "2026-03-09T12:30:00+01:00",
                                   "time_zone": "Europe/Berlin"}

    @pytest.mark.parametrize("duration, due_local", [
        (14400, "2026-03-09T12:30:00+01:00"),
        ("14400", "2026-03-09T12:30:00+01:00"),
        ("P1DT2H", "2026-03-12T10:30:00+01:00"),  # 26 business hours: Fri 0.5, Mon-Wed 3 x 8, Thu 1.5
        ("PT30M", "2026-03-06T17:00:00+01:00"),
        (0, "2026-03-06T16:30:00+01:00"),
    ])
    def test_durations(self, tenant, agent_api, duration, due_local):
        calendar = office_hours()
        response = agent_api.post(f"{CALENDARS}{calendar.pk}/add-business-time/",
                                  {"start": "2026-03-06T15:30:00Z", "duration": duration})
        assert response.status_code == 200, response.json()
        assert response.json()["due_local"] == due_local

    @pytest.mark.parametrize("body, field, message", [
        ({"start": "2026-03-06T16:30:00", "duration": "PT4H"}, "start",
         "Include a UTC offset or Z, e.g. 2026-03-06T16:30:00+01:00: a time without one is ambiguous."),
        ({"start": "Friday afternoon", "duration": "PT4H"}, "start",
         "Not an ISO 8601 date-time, e.g. 2026-03-06T16:30:00+01:00."),
        ({"start": "2026-03-06T16:30:00Z", "duration": "four hours"}, "duration", None),
        ({"start": "2026-03-06T16:30:00Z", "duration": "P1M"}, "duration", None),
        ({"start": "2026-03-06T16:30:00Z", "duration": -5}, "duration", "A duration cannot be negative."),
        ({"start": "2026-03-06T16:30:00Z", "duration": True}, "duration", None),
        ({"start": "2026-03-06T16:30:00Z", "duration": "P400D"}, "duration", "Give 0 to 366 days of business time."),
        ({"start": "2026-03-06T16:30:00Z"}, "duration", "This field is required."),
        ({"start": "2026-03-06T16:30:00Z", "duration": 60, "calendar": 1}, "calendar", "Unknown field."),
    ])
    def test_bad_input(self, tenant, agent_api, body, field, message):
        calendar = office_hours()
        response = agent_api.post(f"{CALENDARS}{calendar.pk}/add-business-time/", body)
        assert response.status_code == 400
        fields = error_of(response)["fields"]
        assert field in fields, fields
        if message:
            assert fields[field] == [message]

    def test_business_time_between(self, tenant, agent_api):
        calendar = office_hours()
        url = f"{CALENDARS}{calendar.pk}/business-time-between/"
        response = agent_api.post(url, {"start": "2026-03-06T16:30:00+01:00", "end": "2026-03-09T13:00:00+01:00"})
        assert response.status_code == 200, response.json()
        assert response.json() == {"business_seconds": 16200.0, "human": "4h 30m"}
        response = agent_api.post(url, {"start": "2026-03-09T13:00:00+01:00", "end": "2026-03-06T16:30:00+01:00"})
        assert response.status_code == 400
        assert error_of(response)["fields"] == {"end": ["The end must not be before the start."]}
        response = agent_api.post(url, {"start": "2026-03-09T13:00:00", "end": "yesterday"})
        assert set(error_of(response)["fields"]) == {"start", "end"}

    def test_unknown_calendar_is_404(self, tenant, agent_api):
        response = agent_api.post(f"{CALENDARS}999999/add-business-time/", {"start": "2026-03-06T16:30:00Z",
                                                                           "duration": 60})
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# -- policies --------------------------------------------------------------------------------------

class TestPolicies:
    def test_create_with_nested_targets_and_escalations(self, admin_api, agent_api, agent, group):
        calendar = office_hours()
        watcher = AgentFactory()
        network = Category.objects.create(name="Network")
        response = admin_api.post(POLICIES, policy_body(
            calendar, categories=[network.pk], channels=["email"], requester_vip="vip", pause_states=["on_hold"],
            escalations=[{"metric": R, "threshold": 100, "action": "reassign", "group": group.pk, "assignee": agent.pk},
                         {"metric": FR, "threshold": 50, "action": "add_watchers", "users": [watcher.pk]}]))
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["categories"] == [{"id": network.pk, "name": "Network", "parent_id": None}]
        assert body["channels"] == ["email"] and body["requester_vip"] == "vip" and body["is_active"] is True
        assert {(t["metric"], t["priority"], t["duration_seconds"], t["calendar"]["id"]) for t in body["targets"]} == {
            (R, 5, 14400, calendar.pk), (FR, 5, 3600, calendar.pk)}
        reassign = next(e for e in body["escalations"] if e["action"] == "reassign")
        assert reassign["group"] == {"id": group.pk, "name": group.name}
        assert reassign["assignee"] == {"id": agent.pk, "name": str(agent)}
        watchers = next(e for e in body["escalations"] if e["action"] == "add_watchers")
        assert watchers["users"] == [{"id": watcher.pk, "name": str(watcher)}]
        assert agent_api.get(f"{POLICIES}{body['id']}/").json() == body

    def test_list_query_count_does_not_grow(self, agent_api, make_policy, group):
        calendar = office_hours()

        def add(n):
            policy = make_policy(calendar, targets={(R, 1): 3600, (FR, 1): 600}, name=f"P{n}", order=n,
                                 channels=["email"], escalations=[(R, 100, "reassign", {"group": group}),
                                                                  (R, 50, "add_watchers", {"users": [AgentFactory()]})])
            policy.categories.set([Category.objects.create(name=f"C{n}")])

        add(0)
        few = queries_for(agent_api, POLICIES)
        for n in range(1, 4):
            add(n)
        assert queries_for(agent_api, POLICIES) == few
        rows = agent_api.get(POLICIES).json()
        assert [r["name"] for r in rows] == ["P0", "P1", "P2", "P3"]

    @pytest.mark.parametrize("overrides, field, message", [
        ({"targets": []}, "targets", "without targets the policy matches nothing to measure"),
        ({"ticket_type": "incidents.unicorn"}, "ticket_type", "Unknown ticket type 'incidents.unicorn'"),
        ({"channels": ["telegraph"]}, "channels", "Unknown channel 'telegraph'"),
        ({"pause_states": ["closed"]}, "pause_states", "'closed' cannot pause a clock"),
        ({"escalations": [{"metric": R, "threshold": 2000, "action": "notify_group"}]}, "escalations.0.threshold",
         "Must be 1 to 1000 percent"),
        ({"escalations": [{"metric": R, "threshold": 100, "action": "reassign"}]}, "escalations.0.group",
         "Reassigning needs a group."),
        ({"escalations": [{"metric": R, "threshold": 100, "action": "add_watchers"}]}, "escalations.0.users",
         "Adding watchers needs at least one person."),
        ({"escalations": [{"metric": "next_reply", "threshold": 100, "action": "notify_group"}]},
         "escalations.0.metric", "The policy has no next reply target to escalate on."),
        ({"escalations": [{"metric": R, "threshold": 100, "action": "notify_group", "group": 999999}]},
         "escalations.0.group", "Invalid pk"),
        ({"categories": [999999]}, "categories", "Invalid pk"),
    ])
    def test_bad_input_is_400_with_field_messages_and_saves_nothing(self, admin_api, overrides, field, message):
        calendar = office_hours()
        before = table_counts()
        response = admin_api.post(POLICIES, policy_body(calendar, **overrides))
        assert response.status_code == 400
        fields = error_of(response)["fields"]
        assert field in fields and message in fields[field][0], fields
        assert table_counts() == before

    def test_nested_target_errors_have_dotted_paths(self, admin_api):
        calendar = office_hours()
        body = policy_body(calendar)
        body["targets"][1].update(duration_seconds=0)
        body["targets"].append({"metric": R, "priority": 5, "duration_seconds": 60, "calendar": 999999})
        response = admin_api.post(POLICIES, body)
        assert response.status_code == 400
        fields = error_of(response)["fields"]
        assert list(fields) == ["targets.2.calendar"]  # shape first: the unknown calendar
        body["targets"].pop()
        fields = error_of(admin_api.post(POLICIES, body))["fields"]
        assert fields == {"targets.1.duration_seconds": ["Must be a positive whole number of seconds."]}

    def test_order_conflicts_and_shadowing_are_explained(self, admin_api, make_policy):
        calendar = office_hours()
        make_policy(calendar, targets={(R, 5): 3600}, name="Everything", order=10)
        response = admin_api.post(POLICIES, policy_body(calendar, order=10, channels=["email"]))
        assert "Conflicts with policy 'Everything' at order 10" in error_of(response)["fields"]["order"][0]
        response = admin_api.post(POLICIES, policy_body(calendar, order=20, channels=["email"]))
        assert "Could never apply: policy 'Everything' (order 10)" in error_of(response)["fields"]["order"][0]

    def test_put_replaces_and_patch_changes_only_what_is_given(self, admin_api, make_policy):
        calendar = office_hours()
        policy = make_policy(calendar, targets={(R, 5): 3600}, escalations=[(R, 100, "notify_group")],
                             channels=["email"])
        url = f"{POLICIES}{policy.pk}/"
        body = admin_api.patch(url, {"order": 42, "description": "Business hours"}).json()
        assert body["order"] == 42 and body["channels"] == ["email"] and len(body["escalations"]) == 1
        response = admin_api.put(url, policy_body(calendar, name="Replaced"))
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["name"] == "Replaced" and body["channels"] == [] and body["escalations"] == []
        assert body["description"] == "" and len(body["targets"]) == 2
        response = admin_api.patch(url, {"targets": []})
        assert response.status_code == 400 and Target.objects.filter(policy=policy).count() == 2

    def test_delete_and_deactivate_instead(self, admin_api, agent, make_policy):
        calendar = office_hours()
        unused = make_policy(calendar, targets={(R, 1): 3600}, name="Unused", order=1, channels=["phone"])
        assert admin_api.delete(f"{POLICIES}{unused.pk}/").status_code == 204
        used = make_policy(calendar, targets={(R, 5): 3600}, name="Used")
        make_incident(by=agent)  # the engine starts a clock under "Used"
        response = admin_api.delete(f"{POLICIES}{used.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["deleted"] is False and "deactivated instead of deleted" in body["detail"]
        assert body["policy"]["is_active"] is False
        assert Policy.objects.filter(pk=used.pk, is_active=False).exists()


# -- clocks ----------------------------------------------------------------------------------------

@pytest.fixture
def measured(tenant, agent, make_policy):
    """An incident raised Friday 16:30 Berlin under a 4-hour resolution / 1-hour response policy."""
    calendar = office_hours()
    policy = make_policy(calendar, targets={(R, 5): 4 * 3600, (FR, 5): 3600}, name="Office")
    with time_machine.travel(local(2026, 3, 6, 16, 30), tick=False):
        incident = make_incident(by=agent)
    other = make_incident(by=agent, title="Another")
    return {"policy": policy, "incident": incident, "other": other, "calendar": calendar}


class TestClocks:
    def test_clocks_of_a_ticket_by_number(self, agent_api, measured):
        incident = measured["incident"]
        with time_machine.travel(local(2026, 3, 9, 10), tick=False):
            response = agent_api.get(CLOCKS, {"ticket": incident.number.lower()})
        assert response.status_code == 200, response.json()
        rows = sorted(response.json()["results"], key=lambda r: r["metric"])
        assert [r["metric"] for r in rows] == [R, FR]
        resolution = rows[0]
        assert resolution["ticket"] == {"type": "incidents.incident", "id": incident.pk, "number": incident.number}
        assert resolution["state"] == "running" and resolution["outcome"] == "" and resolution["paused"] is False
        assert resolution["policy"] == {"id": measured["policy"].pk, "name": "Office"}
        assert resolution["policy_name"] == "Office" and resolution["target_seconds"] == 14400
        assert resolution["deadline"] == "2026-03-09T11:30:00Z"
        # Monday 10:00: 30 min Friday + 1 h Monday used, 2.5 h left.
        assert resolution["remaining_business_seconds"] == 9000 and resolution["breached"] is False
        response_clock = rows[1]
        assert response_clock["remaining_business_seconds"] == -1800 and response_clock["breached"] is True

    def test_by_ticket_type_and_id_and_filters(self, agent_api, measured):
        incident = measured["incident"]
        rows = agent_api.get(CLOCKS, {"ticket_type": "incidents.incident", "ticket_id": incident.pk}).json()["results"]
        assert len(rows) == 2
        assert len(agent_api.get(CLOCKS).json()["results"]) == 4
        assert [r["metric"] for r in agent_api.get(CLOCKS, {"metric": FR, "ticket": incident.number}).json()["results"]] == [FR]
        assert agent_api.get(CLOCKS, {"state": "stopped"}).json()["results"] == []
        Clock.objects.filter(ticket_id=incident.pk, metric=FR).update(state="stopped", outcome="breached",
                                                                      stopped_at=local(2026, 3, 9, 11))
        rows = agent_api.get(CLOCKS, {"outcome": "breached"}).json()["results"]
        assert [(r["ticket"]["id"], r["metric"], r["tone"]) for r in rows] == [(incident.pk, FR, "breached")]
        soon = agent_api.get(CLOCKS, {"breaching_before": "2026-03-10T00:00:00Z"}).json()["results"]
        assert [(r["ticket"]["id"], r["metric"]) for r in soon] == [(incident.pk, R)]

    @pytest.mark.parametrize("params, field", [
        ({"ticket": "INC9999999"}, "ticket"),
        ({"ticket": "nonsense"}, "ticket"),
        ({"state": "sleeping"}, "state"),
        ({"ticket_type": "incidents.unicorn"}, "ticket_type"),
        ({"breaching_before": "soon"}, "breaching_before"),
    ])
    def test_bad_filters_are_400(self, agent_api, measured, params, field):
        response = agent_api.get(CLOCKS, params)
        assert response.status_code == 400
        assert field in error_of(response)["fields"]

    def test_detail_and_query_count(self, agent, agent_api, measured):
        clock = Clock.objects.filter(ticket_id=measured["incident"].pk).first()
        assert agent_api.get(f"{CLOCKS}{clock.pk}/").json()["id"] == clock.pk
        few = queries_for(agent_api, CLOCKS)
        for n in range(5):
            make_incident(by=agent, title=f"More {n}")
        assert queries_for(agent_api, CLOCKS) == few  # one query for the clocks, one for the ticket numbers
        assert len(agent_api.get(CLOCKS).json()["results"]) == 14


# -- compliance ------------------------------------------------------------------------------------

class TestCompliance:
    def test_report(self, agent_api, measured):
        stopped = local(2026, 3, 9, 11)
        Clock.objects.filter(ticket_id=measured["incident"].pk, metric=R).update(
            state="stopped", outcome="met", stopped_at=stopped)
        Clock.objects.filter(ticket_id=measured["incident"].pk, metric=FR).update(
            state="stopped", outcome="breached", stopped_at=stopped)
        response = agent_api.get(COMPLIANCE, {"start": "2026-03-01", "end": "2026-04-01", "group_by": "metric"})
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["group_by"] == "metric" and body["start"] == "2026-03-01T00:00:00Z"
        assert body["rows"] == [
            {"key": "response", "label": "First response", "met": 0, "breached": 1, "total": 1,
             "compliance_percent": 0.0},
            {"key": "resolution", "label": "Resolution", "met": 1, "breached": 0, "total": 1,
             "compliance_percent": 100.0}]
        by_policy = agent_api.get(COMPLIANCE, {"start": "2026-03-01", "end": "2026-04-01"}).json()
        assert by_policy["rows"][0]["key"] == str(measured["policy"].pk) and by_policy["rows"][0]["total"] == 2
        by_period = agent_api.get(COMPLIANCE, {"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z",
                                               "group_by": "period", "period": "day"}).json()
        assert by_period["rows"][0]["key"] == "2026-03-09"

    @pytest.mark.parametrize("params, fields", [
        ({}, {"start", "end"}),
        ({"start": "2026-04-01", "end": "2026-03-01"}, {"end"}),
        ({"start": "March", "end": "2026-04-01"}, {"start"}),
        ({"start": "2026-03-01", "end": "2026-04-01", "group_by": "weather"}, {"group_by"}),
        ({"start": "2026-03-01", "end": "2026-04-01", "period": "fortnight"}, {"period"}),
        ({"start": "2026-03-01", "end": "2026-04-01", "colour": "red"}, {"colour"}),
    ])
    def test_bad_parameters(self, agent_api, params, fields):
        response = agent_api.get(COMPLIANCE, params)
        assert response.status_code == 400
        assert set(error_of(response)["fields"]) == fields


# -- isolation -------------------------------------------------------------------------------------

def test_beta_cannot_see_or_touch_alphas_sla(tenant, other_tenant, measured):
    calendar, policy = measured["calendar"], measured["policy"]
    clock = Clock.objects.filter(ticket_id=measured["incident"].pk).first()
    with schema_context(other_tenant.schema_name):
        # Ids are per schema: make sure beta has nothing under alpha's ids, so a 404 proves isolation.
        assert not Calendar.objects.filter(pk=calendar.pk).exists()
        assert not Policy.objects.filter(pk=policy.pk).exists() and not Clock.objects.filter(pk=clock.pk).exists()
        beta_admin = AdminFactory(email="admin-beta-sla@example.test")
    beta = api_client(other_tenant, beta_admin)
    try:
        assert [c["name"] for c in beta.get(CALENDARS).json()] == ["24x7"]
        assert beta.get(POLICIES).json() == []
        assert beta.get(CLOCKS).json()["results"] == []
        for response in (
            beta.get(f"{CALENDARS}{calendar.pk}/"),
            beta.patch(f"{CALENDARS}{calendar.pk}/", {"name": "Stolen"}),
            beta.delete(f"{CALENDARS}{calendar.pk}/"),
            beta.post(f"{CALENDARS}{calendar.pk}/add-business-time/", {"start": "2026-03-06T15:30:00Z", "duration": 60}),
            beta.post(f"{CALENDARS}{calendar.pk}/import-holidays/", {"country": "DE", "years": [2026]}),
            beta.get(f"{POLICIES}{policy.pk}/"),
            beta.patch(f"{POLICIES}{policy.pk}/", {"name": "Stolen"}),
            beta.delete(f"{POLICIES}{policy.pk}/"),
            beta.get(f"{CLOCKS}{clock.pk}/"),
        ):
            assert response.status_code == 404, response.json()
        # A policy naming alpha's calendar id finds no such calendar in beta.
        response = beta.post(POLICIES, policy_body(calendar))
        assert response.status_code == 400 and "targets.0.calendar" in error_of(response)["fields"]
        # Alpha's ticket number means nothing in beta (which has no incidents here).
        response = beta.get(CLOCKS, {"ticket": measured["incident"].number})
        assert response.status_code == 400
        assert error_of(response)["fields"] == {"ticket": [f"No ticket {measured['incident'].number}."]}
    finally:
        back_to(tenant)
    calendar.refresh_from_db()
    policy.refresh_from_db()
    assert calendar.name == "Office hours" and policy.name == "Office" and policy.is_active


def test_alphas_token_is_refused_on_betas_host(tenant, other_tenant, agent):
    api = api_client(tenant, agent)
    api.defaults["HTTP_HOST"] = api_client(other_tenant).defaults["HTTP_HOST"]
    try:
        assert api.get(CALENDARS).status_code == 401
    finally:
        back_to(tenant)


# -- OpenAPI ---------------------------------------------------------------------------------------

def test_schema_generates_without_warnings_and_documents_the_calculators(tmp_path):
    # --fail-on-warn makes the command raise on any warning or validation error (SLA paths included).
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(tmp_path / "schema.json"))
    import json

    schema = json.loads((tmp_path / "schema.json").read_text())
    paths, components = schema["paths"], schema["components"]["schemas"]
    for name, request_fields, response_fields in (
        ("add-business-time", {"start", "duration"}, {"start", "duration_seconds", "due", "due_local", "time_zone"}),
        ("business-time-between", {"start", "end"}, {"business_seconds", "human"}),
    ):
        operation = paths[f"/api/v1/sla/calendars/{{id}}/{name}/"]["post"]
        request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert set(components[request]["properties"]) == request_fields
        assert set(components[response]["properties"]) == response_fields
        assert "400" in operation["responses"]
    assert {"/api/v1/sla/calendars/", "/api/v1/sla/policies/{id}/", "/api/v1/sla/clocks/",
            "/api/v1/sla/compliance/", "/api/v1/sla/calendars/{id}/import-holidays/"} <= set(paths)
    policy_input = paths["/api/v1/sla/policies/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "targets" in components[policy_input["$ref"].rsplit("/", 1)[1]]["properties"]


def test_naive_datetimes_for_the_report_use_the_callers_zone(tenant, agent):
    agent.time_zone = "Europe/Berlin"
    agent.save(update_fields=["time_zone"])
    body = api_client(tenant, agent).get(COMPLIANCE, {"start": "2026-03-01", "end": "2026-04-01"}).json()
    assert body["start"] == "2026-02-28T23:00:00Z"
    assert datetime.fromisoformat(body["end"].replace("Z", "+00:00")) == datetime(2026, 3, 31, 22, tzinfo=dt_timezone.utc)
