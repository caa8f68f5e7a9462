"""The desk: the tasks card on a parent's page with its "Add task" form, the task's page, the task queue."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfilment import services
from fulfilment.models import Task
from fulfilment.services import TaskSpec
from tests.factories import AgentFactory, GroupFactory, incident_beta_does_not_have, make_incident, make_task
from tickets.models import TicketLink

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def agent_client(make_client, tenant, agent):
    return make_client(tenant, agent)


@pytest.fixture
def parent(tenant, agent, requester):
    return make_incident(by=agent, requester=requester, title="New starter: Ada")


def parent_url(parent, suffix=""):
    return f"/desk/incidents/{parent.number}/{suffix}"


def add_url(parent):
    return f"/desk/tasks/add/{parent.number}/"


def test_the_parent_page_lists_its_tasks_with_step_state_assignee_and_due(agent_client, parent, agent):
    group = GroupFactory(name="Desktop")
    group.members.add(agent)
    due = datetime(2026, 12, 24, 16, tzinfo=dt_timezone.utc)
    first, second = services.create_tasks(parent, [
        TaskSpec("Order laptop", assignment_group=group, assignee=agent, due_at=due),
        TaskSpec("Configure laptop", step=2)], by=agent)
    html = agent_client.get(parent_url(parent)).content.decode()
    assert 'id="tasks"' in html and "0 of 2 finished" in html
    assert f'href="/desk/tasks/{first.number}/">{first.number}</a> Order laptop' in html
    assert f'href="/desk/tasks/{second.number}/">{second.number}</a> Configure laptop' in html
    assert (agent.full_name or agent.email) in html and 'datetime="2026-12-24T16:00:00+00:00"' in html
    assert '<span class="state state-pending">Pending</span>' in html
    assert f'action="{add_url(parent)}"' in html


def test_the_parent_page_reads_its_tasks_in_a_constant_number_of_queries(agent_client, parent, agent):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(parent_url(parent)).status_code == 200
        return len(queries)

    agent_client.get(parent_url(parent))
    services.create_tasks(parent, [TaskSpec("One")], by=agent)
    one = count()
    services.create_tasks(parent, [TaskSpec(f"More {n}", step=n % 3 + 1) for n in range(6)], by=agent)
    assert count() == one


def test_add_task_creates_it_under_the_parent_and_returns_to_its_page(agent_client, parent, agent):
    response = agent_client.post(add_url(parent), {"task-title": "Create account", "task-step": "1",
                                                   "task-due_at": "2026-12-24 17:00"})
    assert response.status_code == 302 and response["Location"] == parent_url(parent) + "#tasks"
    task = Task.objects.get(parent_pk=parent.pk)
    assert (task.title, task.state, task.step, task.created_by_id) == ("Create account", "open", 1, agent.pk)
    assert TicketLink.objects.filter(kind="task_of", source_id=task.pk, target_id=parent.pk).exists()


@pytest.mark.parametrize("data, field", [
    ({"task-title": "Zero", "task-step": "0"}, "step"),
    ({"task-title": "Bad due", "task-step": "1", "task-due_at": "next tuesday"}, "due_at"),
    ({"task-title": "", "task-step": "1"}, "title"),
])
def test_add_task_refuses_bad_input_with_the_field_and_writes_nothing(agent_client, parent, data, field):
    response = agent_client.post(add_url(parent), data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert Task.objects.count() == 0


def test_add_task_refuses_an_assignee_outside_the_group(agent_client, parent, agent):
    group, outsider = GroupFactory(name="Desktop"), AgentFactory(full_name="Olive Outsider")
    response = agent_client.post(add_url(parent), {"task-title": "Configure", "task-step": "1",
                                                   "task-assignment_group": group.pk, "task-assignee": outsider.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["assignee"] == [f"{outsider} is not a member of Desktop."]
    assert Task.objects.count() == 0


def test_add_task_to_a_ticket_that_does_not_exist_is_404(agent_client):
    assert agent_client.post("/desk/tasks/add/INC9999999/", {"task-title": "X", "task-step": "1"}).status_code == 404
    assert Task.objects.count() == 0


def test_requesters_cannot_add_tasks(make_client, tenant, parent, requester):
    client = make_client(tenant, requester)
    assert client.post(add_url(parent), {"task-title": "Let me in", "task-step": "1"}).status_code == 403
    assert Task.objects.count() == 0


def test_another_tenant_cannot_add_a_task_to_this_tenants_ticket(make_client, tenant, other_tenant, in_other_tenant,
                                                                 agent):
    parent = incident_beta_does_not_have(by=agent, other_tenant=other_tenant)
    make_task(by=agent, parent=parent, title="Alpha's own task")
    with in_other_tenant():
        beta_agent = AgentFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    assert beta.post(add_url(parent), {"task-title": "From beta", "task-step": "1"}).status_code == 404
    assert beta.get(add_url(parent)).status_code == 404
    connection.set_tenant(tenant)
    assert list(Task.objects.values_list("title", flat=True)) == ["Alpha's own task"]


def test_the_task_page_shows_its_parent_and_its_siblings(agent_client, parent, agent):
    first, second, third = services.create_tasks(parent, [TaskSpec("Order laptop"), TaskSpec("Create account"),
                                                          TaskSpec("Hand over", step=2)], by=agent)
    html = agent_client.get(f"/desk/tasks/{third.number}/").content.decode()
    assert f'<a href="/desk/incidents/{parent.number}/" data-testid="parent">{parent.number}</a>' in html
    assert "New starter: Ada" in html and "Opens when every task of the earlier steps" in html
    for sibling in (first, second):
        assert f'href="/desk/tasks/{sibling.number}/">{sibling.number}</a> {sibling.title}' in html
    # Opening by hand is offered disabled, with the reason.
    assert f"Waiting for step 1 to finish: {first.number} Order laptop, {second.number} Create account." in html


def test_the_task_page_reads_its_siblings_in_a_constant_number_of_queries(agent_client, parent, agent):
    [task] = services.create_tasks(parent, [TaskSpec("Watched")], by=agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(f"/desk/tasks/{task.number}/").status_code == 200
        return len(queries)

    agent_client.get(f"/desk/tasks/{task.number}/")
    before = count()
    services.create_tasks(parent, [TaskSpec(f"Sibling {n}", step=2) for n in range(5)], by=agent)
    assert count() == before


def test_the_queue_shows_parent_and_due_and_filters_overdue(agent_client, parent, agent):
    with time_machine.travel(NOON, tick=False):
        late, on_time, undated = services.create_tasks(parent, [
            TaskSpec("Late", due_at=NOON - timedelta(hours=1)), TaskSpec("On time", due_at=NOON + timedelta(days=1)),
            TaskSpec("Undated")], by=agent)
        finished = make_task(by=agent, parent=parent, title="Finished late", due_at=NOON - timedelta(days=1))
        services.transition_task(finished, "done", by=agent)
        response = agent_client.get("/desk/tasks/")
        html = response.content.decode()
        assert '<th scope="col">Task of</th>' in html and '<th scope="col">Due</th>' in html
        assert "(overdue)" in html and parent.number in html
        overdue = agent_client.get("/desk/tasks/?overdue=true").content.decode()
        assert late.number in overdue and on_time.number not in overdue and undated.number not in overdue
        assert finished.number not in overdue
        counters = response.context["counters"]
        assert counters["overdue"] == 1


def test_pending_tasks_stay_out_of_the_open_counter_and_my_work(agent_client, parent, agent):
    open_task, pending = services.create_tasks(parent, [TaskSpec("Now", assignee=agent),
                                                        TaskSpec("Later", step=2, assignee=agent)], by=agent)
    counters = agent_client.get("/desk/tasks/").context["counters"]
    assert (counters["open"], counters["mine"]) == (1, 1)
    my_work = agent_client.get("/desk/my-work/").content.decode()
    assert open_task.number in my_work and pending.number not in my_work


def test_the_links_card_offers_no_removal_of_a_tasks_parent_link(agent_client, parent, agent):
    task = make_task(by=agent, parent=parent)
    link = TicketLink.objects.get(kind="task_of", source_id=task.pk)
    for page in (f"/desk/tasks/{task.number}/", parent_url(parent)):
        html = agent_client.get(page).content.decode()
        assert 'data-testid="link"' in html
        assert f"/{link.pk}/remove/" not in html
