"""SLA in a real browser: the admin sets up a calendar (with a lunch break) and a policy; the agent sees the clocks."""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_incident_flow import create_incident, sign_in, sign_out

pytestmark = pytest.mark.browser

SLA_SHOTS = Path("/tmp/sla_shots")


def shot(page, name):
    SLA_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SLA_SHOTS / f"{name}.png"), full_page=True)


def test_admin_sets_up_sla_and_agent_sees_the_clocks(page, e2e_server):
    run = uuid.uuid4().hex[:6]
    calendar_name, policy_name = f"Phone desk hours {run}", f"Phone desk {run}"

    sign_in(page, e2e_server, "admin@acme.example")
    page.goto(e2e_server.url("acme", "/desk/settings/"))
    page.get_by_role("link", name="SLA calendars").click()
    expect(page.get_by_role("heading", name="SLA calendars")).to_be_visible()
    shot(page, "01-calendars")

    page.get_by_role("link", name="New calendar").click()
    page.get_by_label("Name").fill(calendar_name)
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day, exact=True).fill("09:00-12:00, 13:00-17:00")
    page.get_by_label("Wednesday", exact=True).fill("09:00-12:00, 11:00-17:00")  # a slip: overlapping
    page.get_by_label("Holidays").fill("2026-12-24 Christmas Eve\n2026-12-25 Christmas Day")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.locator("#id_hours_2_error")).to_contain_text("Wednesday 09:00-12:00 overlaps 11:00-17:00")
    shot(page, "02-calendar-refused")
    page.get_by_label("Wednesday", exact=True).fill("09:00-12:00, 13:00-17:00")
    page.get_by_role("button", name="Create calendar").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Calendar {calendar_name} created")
    expect(page.locator(".week-bar").first).to_be_visible()

    # What-if: Friday 16:30 + 4h of business time, with the lunch hour off -> Monday 13:30.
    page.locator("#id_due-start").fill("2026-01-09T16:30")
    page.locator("#id_due-duration").fill("4h")
    page.get_by_role("button", name="Calculate due date").click()
    expect(page.get_by_test_id("whatif-due")).to_contain_text("Due Mon 12 Jan 2026, 13:30")
    page.locator("#id_between-start").fill("2026-01-12T11:00")
    page.locator("#id_between-end").fill("2026-01-12T14:00")
    page.get_by_role("button", name="Measure").click()
    expect(page.get_by_test_id("whatif-between")).to_contain_text("2h business time")
    shot(page, "03-calendar-whatif")

    page.get_by_role("link", name="SLA policies").click()
    expect(page.locator("table.policies")).to_contain_text("Standard support")
    shot(page, "04-policies")
    page.get_by_role("link", name="New policy").click()
    page.get_by_label("Name").fill(policy_name)
    page.get_by_label("Order").fill("5")
    page.get_by_label("Phone", exact=True).check()
    page.locator("#id_default_calendar").select_option(label=calendar_name)
    for priority in range(1, 6):
        page.locator(f"#id_target_response_{priority}").fill("30m")
        page.locator(f"#id_target_resolution_{priority}").fill("2d" if priority > 2 else "4h")
    page.locator("#id_target_resolution_1_calendar").select_option(label="24x7")
    page.locator("#id_escalations-0-metric").select_option("resolution")
    page.locator("#id_escalations-0-threshold").fill("75")
    page.locator("#id_escalations-0-action").select_option("notify_assignee")
    page.locator("#id_target_resolution_2").fill("soon")  # refused in place, the rest kept
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator(".target-cell", has=page.locator("#id_target_resolution_2"))).to_contain_text(
        "'soon' is not a duration")
    expect(page.locator("#id_target_response_2")).to_have_value("30m")
    shot(page, "05-policy-refused")
    page.locator("#id_target_resolution_2").fill("4h")
    page.get_by_role("button", name="Create policy").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Policy {policy_name} saved")
    expect(page.locator("table.policies")).to_contain_text(policy_name)
    shot(page, "06-policies-saved")
    page.get_by_role("link", name=policy_name).click()
    expect(page.locator("#id_target_resolution_3")).to_have_value("48h")
    shot(page, "07-policy-edit")
    sign_out(page)

    sign_in(page, e2e_server, "agent@acme.example")
    number = create_incident(page, e2e_server, requester_label="Robin User <user@acme.example>",
                             title=f"E2E phone call about the VPN {run}")
    panel = page.locator("#sla-panel")
    expect(panel).to_contain_text(policy_name)
    expect(panel).to_contain_text("First response")
    expect(panel).to_contain_text("Resolution")
    expect(panel.locator("progress.sla-bar").first).to_be_visible()
    expect(page.locator("#sla-head .sla").first).to_contain_text("left")
    # The panel polls for its countdown (htmx, every 30 s).
    expect(panel).to_have_attribute("hx-trigger", "every 30s")
    shot(page, "08-ticket-sla-panel")

    page.goto(e2e_server.url("acme", "/desk/incidents/?sort=sla"))
    row = page.locator("table.queue tbody tr", has_text=number)
    expect(row.locator(".col-sla .sla").first).to_contain_text("left")
    expect(page.locator("table.queue tbody tr .col-sla .sla").first).to_be_visible()
    shot(page, "09-queue-sla")
    page.get_by_label("Breaching soon").check()
    expect(page).to_have_url(re.compile(r"breaching_soon=true"))
    shot(page, "10-queue-breaching-soon")

    violations = [text for text in page.console_errors if "Content Security Policy" in text]
    assert not violations, violations
