"""The shared desk and portal checklist, run for fulfilment tasks."""

import pytest

from fulfilment.models import Task
from tests.factories import make_incident, make_task
from tests.ui.ticket_ui_battery import TicketUiBattery


class TestTaskUi(TicketUiBattery):
    model = Task
    edit_change = ("title", "Configure the laptop and the dock", "Configure the laptop and the dock")
    paths = [
        [("start", {}), ("hold", {"hold_reason": "Waiting for the dock"}), ("open", {}),
         ("done", {"completion_notes": "Imaged and enrolled."})],
        [("cancel", {"cancel_reason": "Not needed."})],
    ]
    guard = ("cancel", {"cancel_reason": ""}, "cancel_reason")

    @pytest.fixture(autouse=True)
    def parent(self, tenant, agent):
        self.parent_ticket = make_incident(by=agent, title="New starter: Ada")
        self.create_form = {"parent": self.parent_ticket.number, "title": "Configure the laptop", "impact": 2,
                            "urgency": 2, "step": 1}

    def create_ticket(self, *, by, requester, **fields):
        return make_task(by=by, requester=requester, **fields)

    def test_create_and_its_refusal(self, agent_client, agent, requester):
        """As the battery's, with the parent: the new task's timeline also has its link to the parent."""
        refused = agent_client.post(self.queue_url("new/"), {**self.create_form, "title": " "})
        assert refused.status_code == 400 and Task.objects.count() == 0
        orphan = agent_client.post(self.queue_url("new/"), {**self.create_form, "parent": "INC9999999"})
        assert orphan.status_code == 400 and Task.objects.count() == 0
        assert orphan.context["form"].errors["parent"] == ["There is no ticket INC9999999."]
        response = agent_client.post(self.queue_url("new/"), {**self.create_form, "requester": requester.pk})
        assert response.status_code == 302, response.context["form"].errors
        created = Task.objects.get(number=response["Location"].rstrip("/").rsplit("/", 1)[1])
        assert created.created_by_id == agent.pk and self.kinds(created) == ["created", "link"]
        assert (created.parent_number, created.requester_id) == (self.parent_ticket.number,
                                                                 self.parent_ticket.requester_id)
