"""A requested item's way through the shared engines: approval chain, fulfilment tasks, closing."""

import pytest
from django.db import transaction

from approvals import services as approval_services
from approvals.models import Approval, ApprovalRequest
from fulfilment import services as task_services
from fulfilment.models import Task
from service_requests.models import RequestedItem
from sla.models import Calendar, Clock, Metric, Policy, Target
from tests.approvals.factories import ChainFactory, StageFactory
from tests.factories import GroupFactory, RequesterFactory
from tests.service_requests.factories import CatalogItemFactory, TaskTemplateFactory, make_request
from tickets.models import TimelineEntry


@pytest.fixture
def manager(tenant):
    return RequesterFactory(full_name="Morgan Manager", department="Sales")


@pytest.fixture
def employee(tenant, manager):
    return RequesterFactory(full_name="Robin Employee", department="Sales", manager=manager)


@pytest.fixture
def desk(tenant, agent):
    group = GroupFactory(name="Desktop Support")
    group.members.add(agent)
    return group


def laptop(*, chain=None, tasks=(("Prepare the laptop", 1), ("Hand it over", 2)), group=None, **fields):
    item = CatalogItemFactory(name=fields.pop("name", "Laptop"), price=fields.pop("price", "1299.00"),
                              approval_chain=chain, **fields)
    for title, step in tasks:
        TaskTemplateFactory(item=item, title=title, step=step, assignment_group=group)
    return item


def manager_chain():
    chain = ChainFactory(name="Manager approval")
    StageFactory(chain=chain, order=1, name="Line manager", kind="manager")
    return chain


def states(item):
    item.refresh_from_db()
    return item.state, item.request.state


def tasks(item):
    return list(Task.objects.filter(parent_pk=item.pk, parent_type=item._meta.label_lower).order_by("step", "pk"))


def finish(task, by):
    task_services.transition_task(task, "done", by=by)


def test_an_item_without_approval_goes_straight_to_its_tasks_in_steps(employee, agent, desk):
    item = make_request(by=employee, item=laptop(group=desk)).created_items[0]
    assert states(item) == ("in_fulfilment", "open")
    first, second = tasks(item)
    assert (first.state, second.state) == ("open", "pending")
    assert first.assignment_group == desk and first.requester == employee
    finish(first, agent)
    second.refresh_from_db()
    assert second.state == "open" and states(item) == ("in_fulfilment", "open")
    finish(second, agent)
    assert states(item) == ("fulfilled", "closed")


def test_the_managers_approval_starts_fulfilment_in_the_same_transaction(employee, manager, agent, desk):
    item = make_request(by=employee, item=laptop(chain=manager_chain(), group=desk)).created_items[0]
    assert states(item) == ("awaiting_approval", "open") and tasks(item) == []
    request = ApprovalRequest.objects.get(approver=manager)
    approval_services.decide(request, by=manager, decision="approve", via="portal")
    assert states(item) == ("in_fulfilment", "open")
    assert [t.state for t in tasks(item)] == ["open", "pending"]
    transitions = TimelineEntry.objects.filter(ticket_type="service_requests.requesteditem", ticket_id=item.pk,
                                               kind=TimelineEntry.Kind.TRANSITION)
    assert [(e.data["from"], e.data["to"], e.data["source"]) for e in transitions] == [
        ("awaiting_approval", "in_fulfilment", "approvals")]


def test_a_rejection_closes_the_item_with_the_reason_and_no_task_is_made(employee, manager):
    item = make_request(by=employee, item=laptop(chain=manager_chain())).created_items[0]
    approval_services.decide(ApprovalRequest.objects.get(approver=manager), by=manager, decision="reject",
                             comment="Your laptop is a year old.", via="portal")
    item.refresh_from_db()
    assert item.state == "rejected" and item.rejection_reason == "Your laptop is a year old."
    assert item.request.state == "closed" and tasks(item) == []


def test_a_rule_stage_asks_finance_only_above_the_limit(employee, agent):
    finance = GroupFactory(name="Finance")
    finance.members.add(agent)
    chain = ChainFactory(name="Cost rule")
    StageFactory(chain=chain, order=1, name="Finance", kind="rule", group=finance,
                 rule_condition={"all": [{"fact": "total", "op": "gt", "value": 1000}]})
    licence = laptop(name="Design software licence", price="450.00", chain=chain, tasks=(("Assign a seat", 1),))
    one = make_request(by=employee, item=licence, quantity=1).created_items[0]
    three = make_request(by=employee, item=licence, quantity=3).created_items[0]
    assert states(one)[0] == "in_fulfilment"  # 450: the stage is skipped, so approved at once
    assert states(three)[0] == "awaiting_approval"  # 1,350: finance decides
    assert list(ApprovalRequest.objects.filter(stage__approval__ticket_id=three.pk).values_list(
        "approver", flat=True)) == [agent.pk]


def test_cancelling_an_item_cancels_its_open_tasks_and_withdraws_its_approval(employee, manager, agent, desk):
    in_fulfilment = make_request(by=employee, item=laptop(group=desk)).created_items[0]
    awaiting = make_request(by=employee, item=laptop(name="Docking station", chain=manager_chain())).created_items[0]
    for item in (in_fulfilment, awaiting):
        from tickets import services as ticket_services

        ticket_services.transition(item, "cancel", by=agent, fields={"cancel_reason": "Ordered twice"})
    assert [t.state for t in tasks(in_fulfilment)] == ["cancelled", "cancelled"]
    assert Approval.objects.get(ticket_id=awaiting.pk).state == Approval.State.CANCELLED
    assert states(in_fulfilment) == ("cancelled", "closed")  # a request closes once none of its items is open


def test_an_item_whose_tasks_were_all_cancelled_waits_for_an_agent(employee, agent, desk):
    item = make_request(by=employee, item=laptop(group=desk, tasks=(("Only task", 1),))).created_items[0]
    (task,) = tasks(item)
    task_services.transition_task(task, "cancel", by=agent, fields={"cancel_reason": "Not needed after all"})
    assert states(item) == ("in_fulfilment", "open")


def test_the_items_delivery_time_is_its_sla_target(employee):
    always = Calendar.objects.get(is_24x7=True)
    policy = Policy.objects.create(name="Requests", ticket_type="service_requests.requesteditem", order=1)
    Target.objects.create(policy=policy, metric=Metric.RESOLUTION, priority=5, duration_seconds=40 * 3600,
                          calendar=always)
    item = make_request(by=employee, item=laptop(delivery_target_hours=16)).created_items[0]
    clock = Clock.objects.get(ticket_type="service_requests.requesteditem", ticket_id=item.pk, metric=Metric.RESOLUTION)
    assert clock.target_seconds == 16 * 3600


def test_task_due_dates_count_business_hours_from_the_order(employee, desk):
    from datetime import timedelta

    TaskTemplateFactory(item=(item := laptop(tasks=())), title="Image the laptop", step=1, due_in_hours=8,
                        assignment_group=desk)
    ritm = make_request(by=employee, item=item).created_items[0]
    (task,) = tasks(ritm)
    # No SLA policy: round the clock, so 8 business hours are 8 hours.
    assert timedelta(hours=7, minutes=59) < task.due_at - ritm.opened_at < timedelta(hours=8, minutes=1)


def test_an_order_that_cannot_start_its_chain_writes_nothing(employee, tenant):
    nobody = RequesterFactory(full_name="No Manager")  # "the requester's manager" with none set
    chain = manager_chain()
    before = RequestedItem.objects.count()
    from core.exceptions import TicketError

    with pytest.raises(TicketError), transaction.atomic():  # as a request's own transaction would
        make_request(by=nobody, item=laptop(chain=chain))
    assert RequestedItem.objects.count() == before
    assert not Approval.objects.exists()


def test_isolation_an_approval_in_one_tenant_never_moves_an_item_of_another(employee, manager, other_tenant, tenant):
    from django_tenants.utils import tenant_context

    ours = make_request(by=employee, item=laptop(chain=manager_chain())).created_items[0]
    with tenant_context(other_tenant):
        their_manager = RequesterFactory(email=manager.email, full_name="Their manager")
        theirs = make_request(by=RequesterFactory(manager=their_manager), item=laptop(chain=manager_chain()))
        theirs = theirs.created_items[0]
        approval_services.decide(ApprovalRequest.objects.get(approver=their_manager), by=their_manager,
                                 decision="approve", via="api")
        theirs.refresh_from_db()
        assert theirs.state == "in_fulfilment"
    ours.refresh_from_db()
    assert ours.state == "awaiting_approval"
    assert ApprovalRequest.objects.get(approver=manager).state == ApprovalRequest.State.PENDING


def test_the_manager_who_approves_is_the_one_the_database_knows_now(tenant, manager):
    """The orderer's object may predate a change of manager (an admin set it meanwhile): the chain asks
    the manager on record, not the one the caller's copy remembers."""
    from accounts.models import User

    employee = RequesterFactory(full_name="Stale Copy")  # no manager yet, in this object
    User.objects.filter(pk=employee.pk).update(manager=manager)
    item = make_request(by=employee, item=laptop(chain=manager_chain())).created_items[0]
    assert states(item)[0] == "awaiting_approval"
    assert ApprovalRequest.objects.get(stage__approval__ticket_id=item.pk).approver == manager
