"""/api/v1/tasks/: the representation with its parent, the filters, creating by hand and its refusals."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django_tenants.utils import schema_context

from fulfilment import services
from fulfilment.models import Task
from fulfilment.services import TaskSpec
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, GroupFactory, incident_beta_does_not_have, make_incident, make_task
from tickets.models import TicketLink

ENDPOINT = "/api/v1/tasks/"
NOON = datetime(2026, 12, 7, 12, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def agent_api(tenant, agent):
    return api_client(tenant, agent)


@pytest.fixture
def parent(tenant, agent, requester):
    return make_incident(by=agent, requester=requester, title="New starter: Ada")


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["number"] for row in response.json()["results"]}


def test_a_task_shows_its_parent_type_step_and_due(agent_api, parent, agent):
    due = datetime(2026, 12, 24, 16, tzinfo=dt_timezone.utc)
    [task] = services.create_tasks(parent, [TaskSpec("Order laptop", step=2, due_at=due)], by=agent)
    body = agent_api.get(f"{ENDPOINT}{task.number}/").json()
    assert (body["parent"], body["parent_type"], body["step"], body["state"]) == (
        parent.number, "incidents", 2, "open")
    assert body["due_at"].startswith("2026-12-24T16:00:00") and body["requester"]["id"] == parent.requester_id
    [row] = agent_api.get(ENDPOINT).json()["results"]
    # The detail adds what the type's extensions show (affected CIs); the list row is the rest of it.
    assert row == {name: value for name, value in body.items() if name not in ("affected_cis", "impacted_services")}


def test_list_filters_by_parent_step_and_overdue(agent_api, parent, agent):
    other_parent = make_incident(by=agent, title="Another starter")
    with time_machine.travel(NOON, tick=False):
        late, later = services.create_tasks(parent, [TaskSpec("Late", due_at=NOON - timedelta(hours=1)),
                                                     TaskSpec("Later", step=2, due_at=NOON + timedelta(days=2))],
                                            by=agent)
        elsewhere = make_task(by=agent, parent=other_parent, title="Elsewhere")
        assert numbers(agent_api.get(f"{ENDPOINT}?parent={parent.number.lower()}")) == {late.number, later.number}
        assert numbers(agent_api.get(f"{ENDPOINT}?parent={other_parent.number}")) == {elsewhere.number}
        assert numbers(agent_api.get(f"{ENDPOINT}?step=2")) == {later.number}
        assert numbers(agent_api.get(f"{ENDPOINT}?overdue=true")) == {late.number}
        assert numbers(agent_api.get(f"{ENDPOINT}?overdue=false")) == {later.number, elsewhere.number}
        assert numbers(agent_api.get(f"{ENDPOINT}?state=pending")) == {later.number}
    refused = agent_api.get(f"{ENDPOINT}?overdue=maybe")
    assert refused.status_code == 400 and "overdue" in error_of(refused)["fields"]


def test_create_by_hand_waits_for_the_earlier_steps(agent_api, parent, agent):
    services.create_tasks(parent, [TaskSpec("Order laptop")], by=agent)
    response = agent_api.post(ENDPOINT, {"parent": parent.number, "title": "Configure laptop", "step": 2})
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["parent"]) == ("pending", parent.number)


@pytest.mark.parametrize("body, field", [
    ({"parent": "INC9999999", "title": "Orphan"}, "parent"),
    ({"parent": "ZZZ0001001", "title": "Orphan"}, "parent"),
    ({"title": "No parent"}, "parent"),
    ({"parent": "{parent}", "title": "Zero", "step": 0}, "step"),
    ({"parent": "{parent}", "title": "Text step", "step": "2"}, "step"),
    ({"parent": "{parent}", "title": "Bad due", "due_at": "next tuesday"}, "due_at"),
    ({"parent": "{parent}", "title": "Naive due", "due_at": "2026-12-24T17:00:00"}, "due_at"),
    ({"parent": "{parent}", "title": " "}, "title"),
    ({"parent": "{parent}", "title": "Sneaky", "requester": 1}, "requester"),
    ({"parent": "{parent}", "title": "Sneaky", "state": "done"}, "state"),
])
def test_bad_input_is_400_with_the_field_and_writes_nothing(agent_api, parent, body, field):
    body = {name: value.format(parent=parent.number) if isinstance(value, str) else value
            for name, value in body.items()}
    response = agent_api.post(ENDPOINT, body)
    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert (Task.objects.count(), TicketLink.objects.count()) == (0, 0)


def test_an_assignee_outside_the_group_is_400(agent_api, parent, agent):
    group, outsider = GroupFactory(name="Desktop"), AgentFactory()
    response = agent_api.post(ENDPOINT, {"parent": parent.number, "title": "Configure", "assignment_group": group.pk,
                                         "assignee": outsider.pk})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"assignee": [f"{outsider} is not a member of Desktop."]}
    assert Task.objects.count() == 0


def test_a_task_cannot_be_the_parent_of_a_task(agent_api, parent, agent):
    task = make_task(by=agent, parent=parent)
    response = agent_api.post(ENDPOINT, {"parent": task.number, "title": "Grandchild"})
    assert response.status_code == 400 and "parent" in error_of(response)["fields"]
    assert Task.objects.count() == 1


def test_a_parent_of_another_tenant_is_no_ticket_here(tenant, other_tenant, agent):
    """Beta's agent names alpha's parent, by a number only alpha has: there is no such ticket in beta."""
    alpha_parent = incident_beta_does_not_have(by=agent, other_tenant=other_tenant)
    with schema_context(other_tenant.schema_name):
        beta_agent = AgentFactory()
    response = api_client(other_tenant, beta_agent).post(ENDPOINT, {"parent": alpha_parent.number,
                                                                    "title": "Reaching over"})
    back_to(tenant)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"parent": [f"There is no ticket {alpha_parent.number}."]}
    assert Task.objects.count() == 0
    with schema_context(other_tenant.schema_name):
        assert Task.objects.count() == 0


def test_requesters_cannot_create_tasks(tenant, parent, requester):
    response = api_client(tenant, requester).post(ENDPOINT, {"parent": parent.number, "title": "Let me in"})
    assert response.status_code == 403 and Task.objects.count() == 0


def test_parent_and_step_are_not_editable(agent_api, parent, agent):
    task = make_task(by=agent, parent=parent)
    for body in ({"parent": "INC0000001"}, {"step": 3}):
        response = agent_api.patch(f"{ENDPOINT}{task.number}/", body)
        assert response.status_code == 400 and set(error_of(response)["fields"]) == set(body)
    due = agent_api.patch(f"{ENDPOINT}{task.number}/", {"due_at": "2026-12-24T17:00:00+01:00"})
    assert due.status_code == 200 and due.json()["due_at"].startswith("2026-12-24T16:00:00")


def test_finishing_the_step_through_the_api_opens_the_next(agent_api, parent, agent):
    first, second = services.create_tasks(parent, [TaskSpec("One"), TaskSpec("Two", step=2)], by=agent)
    refused = agent_api.post(f"{ENDPOINT}{second.number}/actions/open/", {})
    assert refused.status_code == 409 and "Waiting for step 1" in error_of(refused)["detail"]
    assert agent_api.post(f"{ENDPOINT}{first.number}/actions/done/", {}).status_code == 200
    assert agent_api.get(f"{ENDPOINT}{second.number}/").json()["state"] == "open"


@pytest.mark.parametrize("query", ["step=1.5", "step=1e400", "step=0", "step=40000", "step=two"])
def test_a_step_filter_that_is_no_step_is_400(agent_api, query):
    response = agent_api.get(f"{ENDPOINT}?{query}")
    assert response.status_code == 400 and "step" in error_of(response)["fields"]
