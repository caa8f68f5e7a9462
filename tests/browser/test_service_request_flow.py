"""Issue 10's main flow in a real browser against the server `make run` uses (demo data):

a requester orders a laptop in the portal on a phone-sized screen, their manager approves it in the
portal, an agent completes the two generated tasks in the desk, and the requester sees the item
fulfilled and the request closed. Every portal page on the way is checked by axe-core.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_incident_flow import shot, sign_in, sign_out

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_order_approve_fulfil_and_see_it_done(page, e2e_server):
    run = uuid.uuid4().hex[:6]
    where = f"Leeds office, desk {run}"

    # -- the requester orders a laptop on a phone ----------------------------------------------------
    page.set_viewport_size(PHONE)
    sign_in(page, e2e_server, "user@acme.example")
    page.get_by_role("link", name="Order something").first.click()
    expect(page.get_by_role("heading", name="Order something")).to_be_visible()
    assert_accessible(page, "the catalogue")
    no_sideways_scroll(page)
    page.locator(".catalogue-tile").filter(has=page.locator(".catalogue-tile-name", has_text=re.compile(r"^Laptop$"))).click()
    page.get_by_label("Model").select_option(label="Standard 14-inch")
    size = page.get_by_label("Monitor size")
    expect(size).to_be_hidden()
    page.get_by_label("I also need a monitor").check()
    expect(size).to_be_visible()
    size.select_option(label="27-inch")
    page.get_by_label("Deliver to").fill(where)
    assert_accessible(page, "the laptop's order form")
    no_sideways_scroll(page)
    shot(page, "sr-1-order-form-phone")
    page.get_by_role("button", name="Order").click()
    expect(page).to_have_url(re.compile(r"/portal/tickets/REQ\d+/$"))
    request_url = page.url
    items = page.locator("#items")
    expect(items).to_contain_text("Awaiting approval")
    expect(items).to_contain_text("Waiting for approval: stage 1 of 1, Line manager.")
    item_number = re.search(r"RITM\d+", items.inner_text())[0]
    assert_accessible(page, "the request's page")
    no_sideways_scroll(page)
    shot(page, "sr-2-ordered-phone")
    sign_out(page)

    # -- the manager approves it in the portal -------------------------------------------------------
    sign_in(page, e2e_server, "manager@acme.example")
    expect(page.get_by_role("heading", name="Waiting for your approval")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Approvals")).click()
    assert_accessible(page, "the approvals list")
    page.get_by_role("link", name=item_number).click()
    expect(page.get_by_text(where)).to_be_visible()  # the answers to the form, in front of the approver
    assert_accessible(page, "the approval page")
    no_sideways_scroll(page)
    shot(page, "sr-3-approval-phone")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved").first).to_be_visible()
    sign_out(page)

    # -- an agent completes the generated tasks in the desk ------------------------------------------
    page.set_viewport_size(DESKTOP)
    sign_in(page, e2e_server, "agent@acme.example")
    page.goto(e2e_server.url("acme", f"/desk/requested-items/{item_number}/"))
    expect(page.locator(".state").first).to_contain_text("In fulfilment")
    shot(page, "sr-4-item-in-fulfilment-desk")
    for step in (1, 2):
        page.goto(e2e_server.url("acme", f"/desk/requested-items/{item_number}/"))
        card = page.get_by_role("region", name=re.compile("Tasks")).or_(page.locator(".tasks-card")).first
        open_task = card.locator("tr", has_text="Open").locator("a.ticket-link").first
        open_task.click()
        expect(page).to_have_url(re.compile(r"/desk/tasks/TASK\d+/$"))
        page.locator("summary", has_text="Mark done").click()
        page.get_by_role("button", name="Mark done", exact=True).click()
        expect(page.locator(".state").first).to_contain_text("Done")
        shot(page, f"sr-5-task-{step}-done")
    page.goto(e2e_server.url("acme", f"/desk/requested-items/{item_number}/"))
    expect(page.locator(".state").first).to_contain_text("Fulfilled")
    sign_out(page)

    # -- the requester sees it done ------------------------------------------------------------------
    page.set_viewport_size(PHONE)
    sign_in(page, e2e_server, "user@acme.example")
    page.goto(request_url)
    expect(page.locator("#items")).to_contain_text("Fulfilled")
    expect(page.get_by_text("Closed").first).to_be_visible()
    assert_accessible(page, "the closed request")
    shot(page, "sr-6-done-phone")
    assert not page.console_errors, page.console_errors
