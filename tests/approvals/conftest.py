"""Approval fixtures: people with a manager, groups, and a chain builder (rows made directly, as admins' saves make them)."""

import pytest
import time_machine

from approvals.models import ApprovalRequest
from tests.approvals.factories import ChainFactory, StageFactory
from tests.factories import AgentFactory, GroupFactory, RequesterFactory, make_incident
from tickets.models import TimelineEntry


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def manager(tenant):
    return RequesterFactory(full_name="Maria Manager")


@pytest.fixture
def employee(tenant, manager):
    person = RequesterFactory(full_name="Erik Employee", manager=manager)
    return person


@pytest.fixture
def finance(tenant):
    group = GroupFactory(name="Finance")
    group.members.add(*[AgentFactory(full_name=f"Fin {n}") for n in range(3)])
    return group


@pytest.fixture
def make_chain(tenant):
    def factory(*stages, name="Standard approval"):
        chain = ChainFactory(name=name)
        for order, stage in enumerate(stages, 1):
            StageFactory(chain=chain, **{"order": order, **stage})
        return chain

    return factory


@pytest.fixture
def ticket(tenant, employee, agent):
    return make_incident(by=employee, requester=employee)


def pending_requests(approval):
    return list(ApprovalRequest.objects.filter(stage__approval=approval, state="pending").order_by("pk"))


def request_of(approval, person):
    return ApprovalRequest.objects.get(stage__approval=approval, approver=person, state__in=("pending", "info"))


def approval_events(ticket):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=ticket.pk, kind="approval")
                .order_by("created_at", "id").values_list("data__approval__event", flat=True))
