"""The portal's hooks for the floors above the core: navigation links, home sections, one search."""

import pytest

from tests.factories import RequesterFactory, make_incident
from tickets import portal


@pytest.fixture
def contributed():
    portal.register_link(portal.PortalLink("test-approvals", "Approvals", "portal:list", order=5,
                                           count=lambda user: 3, visible=lambda user: user.is_active))
    portal.register_link(portal.PortalLink("test-hidden", "Never shown", "portal:list",
                                           visible=lambda user: False))
    portal.register_section(portal.PortalSection("test-section", "tickets/portal/_search_form.html",
                                                 lambda request: {"q": "from-the-section"}))
    portal.register_section(portal.PortalSection("test-empty", "missing/template.html", lambda request: None))
    yield
    for key in ("test-approvals", "test-hidden", "test-section", "test-empty"):
        portal.unregister(key)


def test_contributed_links_show_on_every_portal_page_with_their_count(requester_client, contributed):
    for path in ("/portal/", "/portal/tickets/", "/portal/search/?q=x"):
        html = requester_client.get(path).content.decode()
        assert 'Approvals <span class="nav-count">3<span class="sr-only"> waiting</span></span>' in html
        assert "Never shown" not in html
        assert "Report an issue" in html  # the raisable types are on pages that do not pass them too


def test_home_renders_sections_that_have_something_to_show(requester_client, contributed):
    html = requester_client.get("/portal/").content.decode()
    assert 'value="from-the-section"' in html  # the section's template with its own context
    assert html.count('role="search"') == 2  # the home page's own search box, and the section


def test_search_finds_own_tickets_by_title_and_number_and_nobody_elses(requester_client, requester, tenant):
    mine = make_incident(by=requester, title="Badge reader refuses my card")
    theirs = make_incident(by=RequesterFactory(), title="Badge reader at the back door")
    html = requester_client.get("/portal/search/?q=badge+reader").content.decode()
    assert "Your tickets" in html and mine.number in html
    assert theirs.number not in html and "back door" not in html
    by_number = requester_client.get(f"/portal/search/?q={mine.number[-4:]}").content.decode()
    assert mine.number in by_number


@pytest.mark.parametrize("q", ['"quoted', "a & b | !c:*", "%_%", "x" * 5000, "  "])
def test_search_takes_any_text(requester_client, q):
    response = requester_client.get("/portal/search/", {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing found" in html or not q.strip()


def test_search_never_reaches_another_tenant(make_client, tenant, other_tenant, requester):
    from django_tenants.utils import tenant_context

    with tenant_context(other_tenant):
        stranger = RequesterFactory(email=requester.email)
        make_incident(by=stranger, title="Quarterly zebra report")
    html = make_client(tenant, requester).get("/portal/search/?q=zebra").content.decode()
    assert "Quarterly zebra report" not in html and "Nothing found" in html
