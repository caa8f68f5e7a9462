"""The demo catalogue: four items with their approvals and tasks, and orders in every state."""

from approvals.models import Approval, ApprovalRequest
from demo import catalogue
from fulfilment import queries as task_queries
from service_requests.models import CatalogItem, RequestedItem
from tests.factories import AdminFactory, GroupFactory, RequesterFactory


def test_demo_catalogue_has_orders_awaiting_approval_in_fulfilment_rejected_and_fulfilled(tenant, agent, requester):
    admin = AdminFactory()
    groups = {name: GroupFactory(name=name) for name in ("Service Desk", "Business Applications")}
    for group in groups.values():
        group.members.add(agent, admin)
    colleague = RequesterFactory(full_name="Chris Taylor")
    manager = catalogue.ensure_manager(slug="alpha", password="demo", requester=requester, admin=admin,
                                       colleagues=[colleague])
    catalogue.populate(admin=admin, agent=agent, requester=requester, manager=manager, colleague=colleague,
                       groups=groups)
    assert set(CatalogItem.objects.values_list("name", flat=True)) == {
        "Laptop", "New hire onboarding", "Software licence", "Password reset"}
    items = {item.catalog_item.name: item for item in RequestedItem.objects.select_related("catalog_item")}
    assert {name: item.state for name, item in items.items()} == {
        "Laptop": "awaiting_approval", "New hire onboarding": "in_fulfilment",
        "Software licence": "rejected", "Password reset": "fulfilled"}
    # The laptop waits for the requester's manager, who can sign in and approve it.
    waiting = ApprovalRequest.objects.get(state=ApprovalRequest.State.PENDING)
    assert waiting.approver == manager and manager.check_password("demo")
    # Onboarding: four tasks in three steps, the first step done.
    assert [(t.step, t.state) for t in task_queries.tasks_of(items["New hire onboarding"])] == [
        (1, "done"), (1, "done"), (2, "open"), (3, "pending")]
    assert Approval.objects.get(chain_name="Software cost rule").reason.startswith("Use the two shared")
    # Seeding again changes nothing.
    catalogue.populate(admin=admin, agent=agent, requester=requester, manager=manager, colleague=colleague,
                       groups=groups)
    assert RequestedItem.objects.count() == 4
