"""Linking two incidents on the desk in a real browser: a refusal on the form, the link on both pages, removal."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_incident_flow import create_incident, shot, sign_in

pytestmark = pytest.mark.browser


def test_agent_links_two_incidents_and_removes_the_link(page, e2e_server):
    run = uuid.uuid4().hex[:6]
    sign_in(page, e2e_server, "agent@acme.example")
    expect(page).to_have_url(re.compile(r"/desk/incidents/$"))
    cause = create_incident(page, e2e_server, requester_label="Robin User <user@acme.example>",
                            title=f"E2E core switch down {run}")
    effect = create_incident(page, e2e_server, requester_label="Dana Kim <dana.kim@acme.example>",
                             title=f"E2E mail is slow {run}")
    links = page.locator("#links")
    expect(links).to_contain_text("No linked tickets.")

    # Linking a ticket to itself is refused on the form, with what was typed kept.
    links.get_by_label("Ticket number").fill(effect)
    links.get_by_role("button", name="Add link").click()
    expect(page).to_have_url(re.compile(rf"/desk/incidents/{effect}/#links$"))
    expect(links.locator(".error")).to_have_text(f"{effect} cannot be linked to itself.")
    expect(links.get_by_label("Ticket number")).to_have_value(effect)
    shot(page, "20-link-refused")

    links.get_by_label("This ticket").select_option("caused_by")
    links.get_by_label("Ticket number").fill(cause.lower())
    links.get_by_role("button", name="Add link").click()
    row = links.get_by_test_id("link")
    expect(row).to_contain_text(f"Caused by {cause} E2E core switch down {run}")
    expect(page.locator(".tl-link").last).to_contain_text(f"Caused by {cause}")
    shot(page, "21-linked")

    row.get_by_role("link", name=cause).click()
    expect(page).to_have_url(re.compile(rf"/desk/incidents/{cause}/$"))
    other_row = page.locator("#links").get_by_test_id("link")
    expect(other_row).to_contain_text(f"Causes {effect} E2E mail is slow {run}")
    other_row.get_by_role("button", name="Remove").click()
    expect(page.locator("#links")).to_contain_text("No linked tickets.")
    expect(page.locator(".tl-link").last).to_contain_text(f"Causes {effect}")
    shot(page, "22-unlinked")

    violations = [text for text in page.console_errors if "Content Security Policy" in text]
    assert not violations, violations
