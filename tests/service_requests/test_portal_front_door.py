"""The catalogue and approvals at the portal's front door: navigation, home sections, the one search."""

from approvals.models import ApprovalRequest
from service_requests.models import Audience
from tests.approvals.factories import ChainFactory, StageFactory
from tests.factories import GroupFactory, RequesterFactory
from tests.service_requests.factories import CatalogItemFactory, make_request


def test_home_shows_popular_requests_the_viewer_may_order(make_client, tenant, requester):
    laptop = CatalogItemFactory(name="Laptop", short_description="A new laptop")
    CatalogItemFactory(name="Finance-only token", audience=Audience.GROUPS).groups.set([GroupFactory()])
    make_request(by=requester, item=laptop)
    html = make_client(tenant, requester).get("/portal/").content.decode()
    assert "Popular requests" in html and "Laptop" in html and "A new laptop" in html
    assert "Finance-only token" not in html
    assert ">Order something</a>" in html
    assert "Order again" in html  # what the viewer ordered before, first


def test_the_one_search_finds_catalogue_items_but_not_those_one_may_not_order(make_client, tenant, requester):
    CatalogItemFactory(name="Monitor 27-inch", short_description="A second screen")
    CatalogItemFactory(name="Monitor for finance", audience=Audience.DEPARTMENTS, departments=["Finance"])
    html = make_client(tenant, requester).get("/portal/search/?q=monitor").content.decode()
    assert "Order something" in html and "Monitor 27-inch" in html and "A second screen" in html
    assert "Monitor for finance" not in html


def test_an_approver_sees_what_waits_for_them_in_the_navigation_and_on_the_home_page(make_client, tenant):
    manager = RequesterFactory(full_name="Morgan Manager")
    employee = RequesterFactory(full_name="Robin Employee", manager=manager)
    chain = ChainFactory(name="Manager approval")
    StageFactory(chain=chain, order=1, name="Line manager", kind="manager")
    item = make_request(by=employee, item=CatalogItemFactory(name="Docking station", approval_chain=chain))
    html = make_client(tenant, manager).get("/portal/").content.decode()
    assert 'Approvals <span class="nav-count">1<span class="sr-only"> waiting</span></span>' in html
    assert "Waiting for your approval" in html and item.created_items[0].number in html
    waiting = ApprovalRequest.objects.get(approver=manager)
    assert f"/portal/approvals/{waiting.pk}/" in html
    # The employee has nothing to approve: no count, no section.
    mine = make_client(tenant, employee).get("/portal/").content.decode()
    assert "Waiting for your approval" not in mine and 'Approvals <span class="nav-count">' not in mine


def test_another_tenants_catalogue_is_not_searched(make_client, tenant, other_tenant, requester):
    from django_tenants.utils import tenant_context

    with tenant_context(other_tenant):
        CatalogItemFactory(name="Zebra printer")
    html = make_client(tenant, requester).get("/portal/search/?q=zebra").content.decode()
    assert "Zebra printer" not in html and "Nothing found" in html
