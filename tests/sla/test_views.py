"""The SLA settings screens: calendars (hours, holidays, import, what-if) and policies, for tenant admins only."""

import re
from datetime import date

import pytest
from django.db import connection

from sla.formatting import parse_duration
from sla.models import Calendar, Clock, EscalationRule, Holiday, Policy, Target, WorkingHours
from tests.factories import AdminFactory, make_incident
from tests.sla.conftest import office_hours
from tickets.models import Category


@pytest.fixture
def admin(tenant):
    return AdminFactory()


@pytest.fixture
def admin_client(make_client, tenant, admin):
    return make_client(tenant, admin)


@pytest.fixture
def office(tenant):
    return office_hours(name="Berlin office")


def calendar_post(**overrides):
    data = {"name": "Support hours", "description": "", "time_zone": "Europe/Berlin", "holidays": "",
            **{f"hours_{day}": "09:00-12:00, 13:00-17:00" for day in range(5)}, "hours_5": "", "hours_6": ""}
    data.update(overrides)
    return data


def policy_post(calendar, **overrides):
    data = {"name": "Standard", "description": "", "ticket_type": "incidents.incident", "order": "100",
            "is_active": "on", "requester_vip": "", "default_calendar": str(calendar.pk),
            "escalations-TOTAL_FORMS": "2", "escalations-INITIAL_FORMS": "0",
            "escalations-MIN_NUM_FORMS": "0", "escalations-MAX_NUM_FORMS": "1000"}
    data.update(overrides)
    return data


def errors_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="error"[^>]*>(.*?)</div>', response.content.decode()))


def alert_of(response) -> str:
    match = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return re.sub(r"<[^>]+>", " ", match[1]) if match else ""


# -- who may ---------------------------------------------------------------------------------------

SETTINGS_PAGES = ["/desk/settings/sla/calendars/", "/desk/settings/sla/calendars/new/", "/desk/settings/sla/policies/",
                  "/desk/settings/sla/policies/new/"]


def test_only_admins_open_the_sla_settings(make_client, tenant, agent, requester, admin, office):
    pages = [*SETTINGS_PAGES, f"/desk/settings/sla/calendars/{office.pk}/"]
    anonymous = make_client(tenant)
    for path in pages:
        assert make_client(tenant, agent).get(path).status_code == 403, path
        assert make_client(tenant, requester).get(path).status_code == 403, path
        assert anonymous.get(path)["Location"].startswith("/login/"), path
        assert make_client(tenant, admin).get(path).status_code == 200, path


def test_agents_cannot_write_sla_settings(make_client, tenant, agent, office):
    client = make_client(tenant, agent)
    assert client.post("/desk/settings/sla/calendars/new/", calendar_post()).status_code == 403
    assert client.post(f"/desk/settings/sla/calendars/{office.pk}/delete/").status_code == 403
    assert client.post(f"/desk/settings/sla/calendars/{office.pk}/check/", {"check": "due"}).status_code == 403
    assert client.post("/desk/settings/sla/policies/new/", policy_post(office, target_resolution_1="4h")).status_code == 403
    assert Calendar.objects.filter(name="Support hours").count() == 0 and Policy.objects.count() == 0
    assert Calendar.objects.filter(pk=office.pk).exists()


def test_settings_navigation_offers_sla_screens(admin_client):
    html = admin_client.get("/desk/settings/").content.decode()
    assert 'href="/desk/settings/sla/calendars/"' in html and 'href="/desk/settings/sla/policies/"' in html


# -- calendars -------------------------------------------------------------------------------------

def test_admin_creates_a_calendar_with_a_lunch_break_and_holidays(admin_client):
    response = admin_client.post("/desk/settings/sla/calendars/new/", calendar_post(
        holidays="2026-12-25 Christmas Day\n\n2026-12-26 Boxing Day"))
    calendar = Calendar.objects.get(name="Support hours")
    assert response.status_code == 302 and response["Location"] == f"/desk/settings/sla/calendars/{calendar.pk}/"
    assert calendar.time_zone == "Europe/Berlin"
    assert sorted(calendar.hours.values_list("weekday", "start_minute", "end_minute")) == sorted(
        (day, start, end) for day in range(5) for start, end in ((540, 720), (780, 1020)))
    assert list(calendar.holidays.values_list("date", "name")) == [
        (date(2026, 12, 25), "Christmas Day"), (date(2026, 12, 26), "Boxing Day")]
    page = admin_client.get(response["Location"]).content.decode()
    assert 'value="09:00-12:00, 13:00-17:00"' in page and "2026-12-25 Christmas Day" in page
    assert "Check this calendar" in page and "Import public holidays" in page
    # The week preview draws the gap: 96 quarter hours a day, 28 of them working on a weekday.
    monday = re.search(r'<span>Mon</span><div class="week-bar"[^>]*>(.*?)</div>', page)[1]
    assert monday.count('class="on"') == 28 and monday.count("<span") == 96


@pytest.mark.parametrize("overrides, field, message", [
    ({"hours_0": "09:00-13:00, 12:00-17:00"}, "hours_0", "Monday 09:00-13:00 overlaps 12:00-17:00."),
    ({"hours_2": "17:00-09:00"}, "hours_2", "Wednesday 17:00-09:00: the end must be after the start."),
    ({"hours_1": "9am-5pm"}, "hours_1", "'9am' is not a time of day"),
    ({"hours_1": "24:00-24:00"}, "hours_1", "24:00 can only end an interval"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
    ({"holidays": "25/12/2026 Christmas"}, "holidays", "'25/12/2026' is not a date (use YYYY-MM-DD)."),
    ({"holidays": "2026-12-25"}, "holidays", "give the holiday a name"),
    ({"name": ""}, "name", "This field is required."),
    ({**{f"hours_{d}": "" for d in range(7)}}, None, "a calendar without working time could never meet a target"),
])
def test_bad_calendar_input_is_refused_with_a_message_and_nothing_saved(admin_client, overrides, field, message):
    before = (Calendar.objects.count(), WorkingHours.objects.count(), Holiday.objects.count())
    response = admin_client.post("/desk/settings/sla/calendars/new/", calendar_post(**overrides))
    assert response.status_code == 400
    shown = errors_of(response) + alert_of(response)
    assert message in shown.replace("&#x27;", "'"), shown
    if field:
        assert f'id="id_{field}_error"' in response.content.decode() or field == "holidays"
    assert (Calendar.objects.count(), WorkingHours.objects.count(), Holiday.objects.count()) == before


def test_calendar_names_are_unique(admin_client, office):
    response = admin_client.post("/desk/settings/sla/calendars/new/", calendar_post(name="berlin OFFICE"))
    assert response.status_code == 400 and "already exists" in errors_of(response).replace("&#x27;", "'")


def test_admin_edits_hours_and_the_schedule_cache_key_moves(admin_client, office):
    before = office.updated_at
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/", calendar_post(
        name="Berlin office", hours_5="10:00-14:00", time_zone="Europe/Berlin"))
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.updated_at > before
    assert office.hours.filter(weekday=5).values_list("start_minute", "end_minute").get() == (600, 840)


def test_builtin_24x7_calendar_shows_no_hours_and_cannot_be_deleted(admin_client):
    always = Calendar.objects.get(is_24x7=True)
    page = admin_client.get(f"/desk/settings/sla/calendars/{always.pk}/").content.decode()
    assert "counts every minute of every day" in page and 'name="hours_0"' not in page
    assert "Delete calendar" not in page and "Check this calendar" in page
    response = admin_client.post(f"/desk/settings/sla/calendars/{always.pk}/delete/", follow=True)
    assert "cannot be deleted" in response.content.decode() and Calendar.objects.filter(pk=always.pk).exists()
    renamed = admin_client.post(f"/desk/settings/sla/calendars/{always.pk}/",
                                {"name": "Round the clock", "description": "", "time_zone": "UTC"})
    assert renamed.status_code == 302
    always.refresh_from_db()
    assert always.name == "Round the clock" and always.hours.count() == 0


def test_admin_imports_public_holidays(admin_client, office):
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/import-holidays/",
                                 {"country": "DE", "subdivision": "BY", "years": "2026"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert office.holidays.filter(date=date(2026, 12, 25)).exists()
    assert office.holidays.filter(date=date(2026, 1, 6)).exists()  # Epiphany: Bavaria, not all of Germany
    assert re.search(r"\d+ public holidays added for DE 2026", html)


@pytest.mark.parametrize("data, message", [
    ({"country": "DE", "subdivision": "XX", "years": "2026"}, "'XX' is not a subdivision of DE"),
    ({"country": "", "subdivision": "", "years": "2026"}, "This field is required."),
    ({"country": "DE", "subdivision": "", "years": "next year"}, "'next' is not a year"),
    ({"country": "DE", "subdivision": "", "years": "2030-2026"}, "first year first"),
])
def test_bad_holiday_import_is_refused(admin_client, office, data, message):
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/import-holidays/", data)
    assert response.status_code == 400
    assert message in (errors_of(response) + alert_of(response)).replace("&#x27;", "'")
    assert office.holidays.count() == 0


def test_what_if_due_date_in_the_calendars_zone(admin_client, office):
    # Mon-Fri 09:00-17:00 Berlin: Friday 16:30 + 4h business time -> Monday 12:30.
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/",
                                 {"check": "due", "due-start": "2026-01-09T16:30", "due-duration": "4h"},
                                 HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<section class="card" id="whatif"')
    assert "Due Mon 12 Jan 2026, 12:30" in html and "CET" in html
    # Friday 17:30 (after hours) + 4h -> Monday 13:00, "1d" style input is accepted too.
    later = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/",
                              {"check": "due", "due-start": "2026-01-09T17:30", "due-duration": "PT4H"},
                              HTTP_HX_REQUEST="true")
    assert "Due Mon 12 Jan 2026, 13:00" in later.content.decode()


def test_what_if_business_time_between(admin_client, office):
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/",
                                 {"check": "between", "between-start": "2026-01-09T16:00",
                                  "between-end": "2026-01-12T10:00"}, HTTP_HX_REQUEST="true")
    assert "2h business time" in response.content.decode() and "7200 seconds" in response.content.decode()


def test_what_if_keeps_the_other_checks_input_unvalidated(admin_client, office):
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/", {
        "check": "between", "between-start": "2026-01-09T16:00", "between-end": "2026-01-12T10:00",
        "due-start": "2026-01-09T16:30", "due-duration": "not yet"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "2h business time" in html and 'value="not yet"' in html and 'value="2026-01-09T16:30"' in html
    assert "is not a duration" not in html


def test_what_if_without_htmx_renders_the_whole_page(admin_client, office):
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/",
                                 {"check": "due", "due-start": "2026-01-09T16:30", "due-duration": "4h"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "Due Mon 12 Jan 2026, 12:30" in html


@pytest.mark.parametrize("data, message", [
    ({"check": "due", "due-start": "2026-01-09T16:30", "due-duration": "4 parsecs"}, "'parsecs' is not a unit"),
    ({"check": "due", "due-start": "yesterday", "due-duration": "4h"}, "Enter a valid date/time."),
    ({"check": "due", "due-start": "2026-01-09T16:30", "due-duration": "400d"}, "days of business time"),
    ({"check": "between", "between-start": "2026-01-12T10:00", "between-end": "2026-01-09T16:00"},
     "The end must not be before the start."),
])
def test_what_if_bad_input_shows_errors(admin_client, office, data, message):
    htmx = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/", data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200  # htmx only swaps 2xx answers: the errors are in the fragment
    assert message in (errors_of(htmx) + alert_of(htmx)).replace("&#x27;", "'")
    assert "whatif-answer" not in htmx.content.decode()
    plain = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/check/", data)
    assert plain.status_code == 400


def test_delete_unused_calendar_and_refuse_one_in_use(admin_client, office, tenant):
    spare = office_hours(name="Spare")
    assert admin_client.post(f"/desk/settings/sla/calendars/{spare.pk}/delete/")["Location"] == "/desk/settings/sla/calendars/"
    assert not Calendar.objects.filter(pk=spare.pk).exists()
    policy = Policy.objects.create(name="Uses office", order=5)
    Target.objects.create(policy=policy, metric="resolution", priority=3, duration_seconds=3600, calendar=office)
    response = admin_client.post(f"/desk/settings/sla/calendars/{office.pk}/delete/", follow=True)
    assert "is in use" in response.content.decode() and Calendar.objects.filter(pk=office.pk).exists()


def test_calendar_list_summarises_hours_zone_holidays_and_use(admin_client, office):
    Holiday.objects.create(calendar=office, date=date(2099, 1, 1), name="Far future")
    html = admin_client.get("/desk/settings/sla/calendars/").content.decode()
    assert "Mon-Fri 09:00-17:00" in html and "Europe/Berlin" in html and "next 1 Jan 2099" in html
    assert "24x7" in html and "Built-in" in html


# -- policies --------------------------------------------------------------------------------------

def test_admin_creates_a_policy_with_targets_and_an_escalation(admin_client, office, agent, group):
    always = Calendar.objects.get(is_24x7=True)
    network = Category.objects.create(name="Network SLA test")
    response = admin_client.post("/desk/settings/sla/policies/new/", policy_post(
        office, categories=[str(network.pk)], channels=["email", "phone"], requester_vip="vip",
        pause_states=["on_hold"], target_response_1="15m", target_resolution_1="4h",
        target_resolution_1_calendar=str(always.pk), target_response_3="1h 30m", target_resolution_3="2d",
        **{"escalations-0-metric": "resolution", "escalations-0-threshold": "75", "escalations-0-action": "reassign",
           "escalations-0-group": str(group.pk), "escalations-0-assignee": str(agent.pk)}))
    assert response.status_code == 302, errors_of(response) + alert_of(response)
    policy = Policy.objects.get(name="Standard")
    assert (policy.order, policy.is_active, policy.requester_vip) == (100, True, "vip")
    assert policy.channels == ["email", "phone"] and policy.pause_states == ["on_hold"]
    assert list(policy.categories.all()) == [network]
    targets = {(t.metric, t.priority): (t.duration_seconds, t.calendar.name) for t in policy.targets.all()}
    assert targets == {("response", 1): (900, "Berlin office"), ("resolution", 1): (14400, always.name),
                       ("response", 3): (5400, "Berlin office"), ("resolution", 3): (172800, "Berlin office")}
    rule = policy.escalations.get()
    assert (rule.metric, rule.threshold, rule.action, rule.group, rule.assignee) == ("resolution", 75, "reassign", group, agent)
    listing = admin_client.get("/desk/settings/sla/policies/").content.decode()
    assert "Incidents" in listing and "Standard" in listing and "15m / 4h" in listing and "1h 30m / 48h" in listing and "VIP requesters only" in listing


def test_editing_a_policy_shows_its_values_and_keeps_unchanged_rules(admin_client, office, group):
    Policy.objects.all().delete()
    create = admin_client.post("/desk/settings/sla/policies/new/", policy_post(
        office, target_resolution_2="8h", **{"escalations-0-metric": "resolution", "escalations-0-threshold": "100",
                                              "escalations-0-action": "notify_group"}))
    assert create.status_code == 302
    policy = Policy.objects.get()
    rule_id = policy.escalations.get().pk
    page = admin_client.get(f"/desk/settings/sla/policies/{policy.pk}/").content.decode()
    assert 'name="target_resolution_2" id="id_target_resolution_2" value="8h"' in page
    assert 'name="escalations-0-threshold" value="100"' in page
    data = policy_post(office, name="Standard renamed", target_resolution_2="8h", target_resolution_4="3d", **{
        "escalations-TOTAL_FORMS": "3", "escalations-INITIAL_FORMS": "1",
        "escalations-0-metric": "resolution", "escalations-0-threshold": "100", "escalations-0-action": "notify_group"})
    assert admin_client.post(f"/desk/settings/sla/policies/{policy.pk}/", data).status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Standard renamed" and policy.targets.count() == 2
    assert policy.escalations.get().pk == rule_id  # kept, so it does not fire a second time
    data["escalations-0-DELETE"] = "on"
    assert admin_client.post(f"/desk/settings/sla/policies/{policy.pk}/", data).status_code == 302
    assert not EscalationRule.objects.filter(policy=policy).exists()


@pytest.mark.parametrize("overrides, where, message", [
    ({"target_resolution_1": "4 parsecs"}, "error", "'parsecs' is not a unit"),
    ({"target_resolution_1": "0m"}, "error", "longer than zero"),
    ({}, "alert", "Add at least one target"),
    ({"target_resolution_1": "4h", "order": "-1"}, "error", "greater than or equal to 0"),
    ({"target_resolution_1": "400d"}, "error", "At most 366 days."),
    ({"target_resolution_1": "4h", "pause_states": ["closed"]}, "error", "Select a valid choice."),
    ({"target_resolution_1": "4h", "escalations-0-metric": "resolution", "escalations-0-threshold": "75"},
     "error", "Choose what happens."),
    ({"target_resolution_1": "4h", "escalations-0-metric": "resolution", "escalations-0-threshold": "75",
      "escalations-0-action": "reassign"}, "error", "Reassigning needs a group."),
    ({"target_resolution_1": "4h", "escalations-0-metric": "response", "escalations-0-threshold": "75",
      "escalations-0-action": "notify_group"}, "error", "The policy has no first response target to escalate on."),
    ({"target_resolution_1": "4h", "escalations-0-metric": "resolution", "escalations-0-threshold": "1001",
      "escalations-0-action": "notify_group"}, "error", "less than or equal to 1000"),
])
def test_bad_policy_input_is_refused_in_place_and_nothing_saved(admin_client, office, overrides, where, message):
    before = (Policy.objects.count(), Target.objects.count(), EscalationRule.objects.count())
    response = admin_client.post("/desk/settings/sla/policies/new/", policy_post(office, **overrides))
    assert response.status_code == 400
    shown = (errors_of(response) if where == "error" else alert_of(response)).replace("&#x27;", "'")
    assert message in shown, shown
    assert (Policy.objects.count(), Target.objects.count(), EscalationRule.objects.count()) == before


def test_a_refused_target_stays_on_its_cell(admin_client, office):
    response = admin_client.post("/desk/settings/sla/policies/new/", policy_post(
        office, target_response_2="15m", target_resolution_2="forever"))
    html = response.content.decode()
    cell = re.search(r'<div class="target-cell">(?:(?!</td>).)*name="target_resolution_2"(?:(?!</td>).)*</td>', html, re.S)[0]
    assert 'value="forever"' in cell and 'aria-invalid="true"' in cell and "is not a duration" in cell
    assert 'value="15m"' in html  # the rest of the input is kept


def test_conflicting_order_is_explained(admin_client, office):
    first = admin_client.post("/desk/settings/sla/policies/new/", policy_post(office, target_resolution_1="4h"))
    assert first.status_code == 302
    response = admin_client.post("/desk/settings/sla/policies/new/", policy_post(
        office, name="Second", target_resolution_1="2h"))
    assert response.status_code == 400
    assert "Conflicts with policy 'Standard' at order 100" in errors_of(response).replace("&#x27;", "'")
    assert Policy.objects.filter(name="Second").count() == 0


def test_delete_policy_or_deactivate_one_with_clock_history(admin_client, office, requester):
    unused = Policy.objects.create(name="Unused", order=7, is_active=False)
    assert admin_client.post(f"/desk/settings/sla/policies/{unused.pk}/delete/")["Location"] == "/desk/settings/sla/policies/"
    assert not Policy.objects.filter(pk=unused.pk).exists()
    used = Policy.objects.create(name="Used", order=8)
    incident = make_incident(by=requester, title="Measured")
    from django.utils import timezone

    Clock.objects.create(ticket_type="incidents.incident", ticket_id=incident.pk, metric="response", policy=used,
                         calendar=office, priority=3, target_seconds=60, started_at=timezone.now(),
                         deadline=timezone.now())
    response = admin_client.post(f"/desk/settings/sla/policies/{used.pk}/delete/", follow=True)
    used.refresh_from_db()
    assert not used.is_active and "deactivated instead of deleted" in response.content.decode()


# -- isolation -------------------------------------------------------------------------------------

def test_beta_admin_cannot_reach_alphas_calendars_or_policies(make_client, tenant, other_tenant, in_other_tenant, office):
    policy = Policy.objects.create(name="Alpha secret policy", order=3)
    Target.objects.create(policy=policy, metric="resolution", priority=2, duration_seconds=3600, calendar=office)
    with in_other_tenant():
        assert not Calendar.objects.filter(pk=office.pk).exists() and not Policy.objects.filter(pk=policy.pk).exists()
        beta_admin = AdminFactory()
        client = make_client(other_tenant, beta_admin)
        urls = [f"/desk/settings/sla/calendars/{office.pk}/", f"/desk/settings/sla/policies/{policy.pk}/"]
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert client.post(f"/desk/settings/sla/calendars/{office.pk}/", calendar_post(name="Hijacked")).status_code == 404
        assert client.post(f"/desk/settings/sla/calendars/{office.pk}/delete/").status_code == 404
        assert client.post(f"/desk/settings/sla/calendars/{office.pk}/import-holidays/",
                           {"country": "DE", "years": "2026"}).status_code == 404
        assert client.post(f"/desk/settings/sla/calendars/{office.pk}/check/", {"check": "due"}).status_code == 404
        assert client.post(f"/desk/settings/sla/policies/{policy.pk}/delete/").status_code == 404
        listing = client.get("/desk/settings/sla/calendars/").content.decode() + \
            client.get("/desk/settings/sla/policies/").content.decode()
        assert "Berlin office" not in listing and "Alpha secret policy" not in listing
    connection.set_tenant(tenant)
    office.refresh_from_db()
    assert office.name == "Berlin office" and Policy.objects.filter(pk=policy.pk, is_active=True).exists()
    assert office.holidays.count() == 0


# -- the duration parser -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("4h", 14400), ("30m", 1800), ("1h 30m", 5400), ("1h30m", 5400), ("2d", 172800), ("1d 2h", 93600),
    ("PT4H", 14400), ("pt30m", 1800), ("P1DT2H", 93600), ("90", 90), ("1.5h", 5400), ("2 hours", 7200),
    ("45 min", 2700), ("10s", 10),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "4 parsecs", "P1Y", "4h then some", "-4h"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_new_calendar_starts_from_office_hours_in_the_tenants_zone(admin_client, tenant):
    from tenants.models import Tenant

    Tenant.objects.filter(pk=tenant.pk).update(time_zone="America/New_York")
    html = admin_client.get("/desk/settings/sla/calendars/new/").content.decode()
    assert '<option value="America/New_York" selected>' in html
    assert html.count('value="09:00-17:00"') == 5
