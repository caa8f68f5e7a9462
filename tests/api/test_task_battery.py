"""The shared ticket API checklist, run against /api/v1/tasks/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfilment.models import Task
from tests.api.ticket_battery import TicketApiBattery
from tests.factories import make_incident, make_task


class TestTaskApi(TicketApiBattery):
    endpoint = "/api/v1/tasks/"
    model = Task
    update_payload = {"title": "Configure the laptop and the dock"}
    paths = [
        [("start", {}, "in_progress"), ("hold", {"hold_reason": "Waiting for the dock"}, "on_hold"),
         ("open", {}, "open"), ("done", {"completion_notes": "Imaged and enrolled."}, "done")],
        [("cancel", {"cancel_reason": "The starter does not need one."}, "cancelled")],
    ]
    refused_from_initial = ("open", {})
    guard = ("cancel", {}, "cancel_reason")

    @pytest.fixture(autouse=True)
    def parent(self, tenant, agent):
        """Every task needs a parent: the create payloads name this one."""
        self.parent_ticket = make_incident(by=agent, title="New starter: Ada")
        self.create_payload = {"parent": self.parent_ticket.number, "title": "Configure the laptop",
                               "description": "Image it *before* Monday.", "step": 1,
                               "due_at": "2026-12-24T17:00:00+01:00"}

    def create_ticket(self, *, by, requester):
        return make_task(by=by, requester=requester)

    def link_count(self) -> int:
        """The battery's own links; every task also has its parent's ``task_of`` link."""
        from tickets.models import TicketLink

        return TicketLink.objects.exclude(kind="task_of").count()

    # -- where a task differs from the battery's tickets: it is born with its parent's link ----------
    def own_links(self, response) -> list[dict]:
        return [row for row in response.json() if row["kind"] != "task_of"]

    def test_links_add_list_and_remove_from_either_side(self, agent_api, agent, requester):
        cause = self.create_ticket(by=agent, requester=requester)
        effect = self.create_ticket(by=agent, requester=requester)
        response = agent_api.post(self.url(effect, "links/"), {"kind": "caused_by", "number": cause.number.lower()})
        assert response.status_code == 201, response.json()
        created = response.json()
        assert (created["kind"], created["ticket"]["number"]) == ("caused_by", cause.number)
        [seen_from_cause] = self.own_links(agent_api.get(self.url(cause, "links/")))
        assert (seen_from_cause["id"], seen_from_cause["kind"], seen_from_cause["ticket"]["number"]) == (
            created["id"], "causes", effect.number)
        [parent_link] = [row for row in agent_api.get(self.url(cause, "links/")).json() if row["kind"] == "task_of"]
        assert parent_link["kind_label"] == "task of" and parent_link["ticket"]["number"] == cause.parent_number
        timeline = agent_api.get(self.url(cause, "timeline/")).json()["results"]
        assert [(e["data"]["label"], e["data"]["number"]) for e in timeline if e["kind"] == "link"] == [
            ("task of", cause.parent_number), ("causes", effect.number)]
        assert agent_api.delete(self.url(cause, f"links/{created['id']}/")).status_code == 204
        assert self.own_links(agent_api.get(self.url(effect, "links/"))) == []
        assert self.link_count() == 0

    def test_links_query_count_does_not_grow_with_links(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        counts = {}
        for total in (1, 6):
            while self.link_count() < total:
                other = self.create_ticket(by=agent, requester=requester)
                agent_api.post(self.url(ticket, "links/"), {"kind": "related_to", "number": other.number})
            agent_api.get(self.url(ticket, "links/"))
            with CaptureQueriesContext(connection) as queries:
                response = agent_api.get(self.url(ticket, "links/"))
            assert len(self.own_links(response)) == total
            counts[total] = len(queries)
        # The battery's 4, plus one: the links reach two types (tasks, and the parent's incident).
        assert counts[1] == counts[6] <= 5, counts

    def test_create_query_count_with_an_sla_policy(self, agent_api, agent, django_capture_on_commit_callbacks):
        """The battery's bound plus one: a task also reads its parent's other tasks (for its step) after
        locking the parent, the same query that finds it; the link to the parent is 2 statements."""
        from sla.models import Calendar, Clock, Metric, Policy, Target

        with django_capture_on_commit_callbacks(execute=True):
            policy = Policy.objects.create(name="Battery policy", ticket_type="fulfilment.task", order=1)
            calendar = Calendar.objects.filter(is_24x7=True).first() or Calendar.objects.create(name="24x7", is_24x7=True)
            Target.objects.bulk_create([Target(policy=policy, metric=metric, priority=p, duration_seconds=3600 * p,
                                               calendar=calendar)
                                        for metric in (Metric.RESPONSE, Metric.RESOLUTION) for p in range(1, 6)])
            policy.save()
        from tests.factories import GroupFactory

        group = GroupFactory(name="Battery group")
        group.members.add(agent)
        payload = {**self.create_payload, "assignment_group": group.pk}
        assert agent_api.post(self.endpoint, payload).status_code == 201
        with django_capture_on_commit_callbacks(execute=False) as callbacks, \
                CaptureQueriesContext(connection) as queries:
            response = agent_api.post(self.endpoint, payload)
        assert response.status_code == 201, response.json()
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
        assert len(statements) <= 11, "\n".join(statements)
        task = Task.objects.get(number=response.json()["number"])
        assert Clock.objects.filter(ticket_type="fulfilment.task", ticket_id=task.pk).count() == 2
        assert callbacks
