"""The demo's tasks: an incident worked in three steps, the first done, the second open, the third waiting."""

from demo import fulfilment as fulfilment_demo
from fulfilment import queries
from incidents.models import Incident


def test_demo_incident_has_three_sequenced_tasks(tenant, agent, requester, group):
    fulfilment_demo.populate(agent=agent, requester=requester, group=group)
    incident = Incident.objects.get(title__startswith="Laptop screen cracked")
    assert [(task.step, task.state) for task in queries.tasks_of(incident)] == [
        (1, "done"), (2, "open"), (3, "pending")]
