"""The main desk and portal flow in a real browser against a real server (see conftest)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, server, email):
    page.goto(server.url("acme", "/login/"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def create_incident(page, server, *, requester_label, title, screenshot=None):
    page.goto(server.url("acme", "/desk/incidents/new/"))
    page.get_by_label("Requester").select_option(label=requester_label)
    page.get_by_label("Short description").fill(title)
    page.get_by_label("Description", exact=True).fill("Created by the **browser test**.")
    page.get_by_label("Impact").select_option("2")
    page.get_by_label("Urgency").select_option("1")
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Create incident").click()
    expect(page).to_have_url(re.compile(r"/desk/incidents/INC\d+/$"))
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_agent_resolves_and_requester_reports(page, e2e_server):
    run = uuid.uuid4().hex[:6]
    page.goto(e2e_server.url("acme", "/login/"))
    expect(page.get_by_role("heading", name="Acme IT Help")).to_be_visible()
    shot(page, "01-login")

    sign_in(page, e2e_server, "agent@acme.example")
    expect(page).to_have_url(re.compile(r"/desk/incidents/$"))
    expect(page.locator("table.queue tbody tr").first).to_be_visible()
    shot(page, "02-queue")

    # htmx: changing a filter swaps the rows and pushes the URL.
    page.get_by_label("State").select_option("resolved")
    expect(page).to_have_url(re.compile(r"state=resolved"))
    expect(page.locator("table.queue tbody .state").first).to_have_text("Resolved")
    shot(page, "03-queue-filtered")

    own_title = f"E2E laptop will not boot {run}"
    other_title = f"E2E someone else's printer {run}"
    number = create_incident(page, e2e_server, requester_label="Robin User <user@acme.example>", title=own_title,
                             screenshot="03b-desk-create")
    expect(page.get_by_test_id("state")).to_have_text("New")
    shot(page, "04-detail-new")

    page.get_by_label("Message").fill("Internal: checked the BIOS logs")
    page.get_by_role("button", name="Add work note (internal)").click()
    expect(page.locator(".tl-work_note").first).to_contain_text("checked the BIOS logs")

    page.locator("summary", has_text="Resolve").click()
    page.get_by_role("button", name="Resolve", exact=True).click()  # without a code: refused, form stays open
    expect(page.locator(".action[open] .error").first).to_contain_text("is required to resolve")
    shot(page, "04b-resolve-refused")
    page.locator("#id_resolve-resolution_code").select_option("solved_remotely")
    page.locator("#id_resolve-resolution_notes").fill("Reseated the memory; boots fine now.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_test_id("state")).to_have_text("Resolved")
    shot(page, "05-detail-resolved")

    create_incident(page, e2e_server, requester_label="Dana Kim <dana.kim@acme.example>", title=other_title)

    page.goto(e2e_server.url("acme", "/profile/tokens/"))
    page.get_by_label("Token name").fill("E2E monitoring")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
    shot(page, "05b-api-tokens")
    sign_out(page)

    sign_in(page, e2e_server, "user@acme.example")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    shot(page, "06-portal-home")
    page.get_by_role("link", name="Report an issue").first.click()
    reported = f"E2E VPN drops every hour {run}"
    page.get_by_label("What is the problem?").fill(reported)
    page.get_by_label("Details").fill("It started after the update.")
    page.get_by_label("How urgent is it?").select_option("2")
    shot(page, "07-portal-create")
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(re.compile(r"/portal/tickets/INC\d+/$"))
    expect(page.get_by_role("heading", name=reported)).to_be_visible()

    page.goto(e2e_server.url("acme", f"/portal/tickets/{number}/"))
    expect(page.get_by_role("button", name="Confirm resolution")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("checked the BIOS logs")
    shot(page, "08-portal-resolved")

    page.goto(e2e_server.url("acme", "/portal/tickets/?show=all"))
    tickets = page.locator(".ticket-list")
    expect(tickets).to_contain_text(reported)
    expect(tickets).to_contain_text(own_title)
    expect(tickets).not_to_contain_text(other_title)
    shot(page, "09-portal-my-tickets")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(e2e_server.url("acme", f"/portal/tickets/{number}/"))
    expect(page.get_by_role("button", name="Still broken")).to_be_visible()
    shot(page, "09b-portal-phone")
    page.set_viewport_size({"width": 1440, "height": 900})

    # The requester is refused the desk.
    response = page.goto(e2e_server.url("acme", "/desk/incidents/"))
    assert response.status == 403
    shot(page, "10-desk-403")

    violations = [text for text in page.console_errors if "Content Security Policy" in text]
    assert not violations, violations
