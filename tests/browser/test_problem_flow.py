"""Problem management in a real browser: from an incident to a problem, its known error applied to a
new incident, and resolving the problem resolving its incidents; "My work" shows all of them."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_incident_flow import shot, sign_in

pytestmark = pytest.mark.browser


def new_incident(page, server, title):
    page.goto(server.url("acme", "/desk/incidents/new/"))
    page.get_by_label("Requester").select_option(label="Robin User <user@acme.example>")
    page.get_by_label("Short description").fill(title)
    page.get_by_label("Category").select_option(label="Hardware / Printer")
    page.get_by_label("Assignment group").select_option(label="Service Desk")
    page.get_by_role("button", name="Create incident").click()
    expect(page).to_have_url(re.compile(r"/desk/incidents/INC\d+/$"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def action(page, label, **fields):
    """Open an action's form on the ticket page, fill it and take it."""
    bar = page.get_by_role("group", name="Actions")
    bar.locator("summary", has_text=label).click()
    form = page.locator("form.action-form", has=page.get_by_role("heading", name=label))
    for field_label, value in fields.items():
        control = form.get_by_label(field_label)
        if value is True:
            control.check()
        elif control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.get_by_role("button", name=label).click()


def test_incident_to_problem_to_known_error_and_back(page, e2e_server):
    run = uuid.uuid4().hex[:6]
    sign_in(page, e2e_server, "agent@acme.example")
    first = new_incident(page, e2e_server, f"E2E printer jams on floor 2 {run}")
    second = new_incident(page, e2e_server, f"E2E printer jams on floor 4 {run}")

    # From the first incident: "Create problem from this incident", prefilled from it.
    page.goto(e2e_server.url("acme", f"/desk/incidents/{first}/"))
    page.locator("#problems-card").get_by_role("link", name="Create problem from this incident").click()
    expect(page.get_by_label("Short description")).to_have_value(f"E2E printer jams on floor 2 {run}")
    page.get_by_label("Short description").fill(f"E2E printers jam after the driver update {run}")
    page.get_by_label("Affected service").fill("Printing")
    shot(page, "30-problem-create")
    page.get_by_role("button", name="Create problem").click()
    expect(page).to_have_url(re.compile(r"/desk/problems/PRB\d+/$"))
    problem = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#links")).to_contain_text(f"Problem of {first}")

    # From the second incident: "Link to problem", the number found by searching as you type.
    page.goto(e2e_server.url("acme", f"/desk/incidents/{second}/"))
    card = page.locator("#problems-card")
    card.get_by_label("Link to problem").press_sequentially(problem, delay=20)
    expect(page.locator("#problem-options option").first).to_have_attribute("value", problem)
    card.get_by_role("button", name="Link").click()
    expect(page.locator("#links")).to_contain_text(f"Has problem {problem}")

    # "My work" shows the problem and both incidents (unassigned in the agent's group).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
    for number in (problem, first, second):
        expect(page.locator("table.queue")).to_contain_text(number)
    shot(page, "31-my-work")

    # Root cause analysis: leaving it without a root cause is refused; with one it goes on.
    page.goto(e2e_server.url("acme", f"/desk/problems/{problem}/"))
    expect(page.locator("#links")).to_contain_text(second)
    page.get_by_role("group", name="Actions").get_by_role("button", name="Start root cause analysis").click()
    expect(page.get_by_test_id("state")).to_have_text("Root Cause Analysis")
    action(page, "Start fix")
    expect(page.locator(".actionbar-alert, form.action-form .error").first).to_contain_text("Root cause is required")
    details = page.locator("#fields")
    details.get_by_label("Root cause", exact=True).fill("The new driver resets the tray size to A3.")
    details.get_by_label("Workaround").fill(f"Set the tray back to A4 in the printer menu ({run}).")
    details.get_by_role("button", name="Save changes").click()
    action(page, "Start fix")
    expect(page.get_by_test_id("state")).to_have_text("Fix in Progress")
    page.locator("#known-error").get_by_role("button", name="Publish known error").click()
    expect(page.locator("#known-error")).to_contain_text("Published")
    shot(page, "32-known-error")

    # A new incident in the same category shows the workaround; the agent applies it as a reply.
    third = new_incident(page, e2e_server, f"E2E printer on floor 5 jams {run}")
    card = page.locator("#problems-card")
    expect(card).to_contain_text(f"Set the tray back to A4 in the printer menu ({run}).")
    shot(page, "33-workaround-offered")
    card.get_by_role("button", name="Apply workaround as reply").click()
    expect(page.locator(".timeline .tl-reply").first).to_contain_text(f"Set the tray back to A4 in the printer menu ({run}).")

    # Resolving the problem resolves both linked incidents, each with the note on its timeline.
    page.goto(e2e_server.url("acme", f"/desk/problems/{problem}/"))
    action(page, "Resolve", **{"Resolution code": "fixed", "Resolution notes": "Driver rolled back.",
                               "Also resolve the linked open incidents": True,
                               "Note for the incidents": f"Fixed by rolling back the driver ({run})."})
    expect(page.get_by_test_id("state")).to_have_text("Resolved")
    for number in (first, second):
        page.goto(e2e_server.url("acme", f"/desk/incidents/{number}/"))
        expect(page.get_by_test_id("state")).to_have_text("Resolved")
        expect(page.locator(".resolution")).to_contain_text(f"Fixed by rolling back the driver ({run}).")
    shot(page, "34-incident-resolved-by-problem")
    page.goto(e2e_server.url("acme", f"/desk/incidents/{third}/"))
    expect(page.get_by_test_id("state")).not_to_have_text("Resolved")

    violations = [text for text in page.console_errors if "Content Security Policy" in text]
    assert not violations, violations
