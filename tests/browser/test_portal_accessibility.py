"""The portal on a phone-sized screen, checked by axe-core: no critical or serious violation."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.test_incident_flow import shot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_portal_pages_are_accessible_on_a_phone(page, e2e_server):
    page.set_viewport_size(PHONE)
    sign_in(page, e2e_server, "user@acme.example")
    for path in ("/portal/", "/portal/tickets/", "/portal/tickets/new/", "/portal/search/?q=vpn"):
        page.goto(e2e_server.url("acme", path))
        assert_accessible(page, path)
    page.goto(e2e_server.url("acme", "/portal/tickets/"))
    page.locator("a.ticket-item-link").first.click()
    expect(page.get_by_role("heading", name="Updates")).to_be_visible()
    assert_accessible(page, page.url)
    # Nothing wider than the screen: the page never scrolls sideways on a phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "portal-phone-detail")
    assert not page.console_errors, page.console_errors
