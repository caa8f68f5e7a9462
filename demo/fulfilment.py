"""Demo fulfilment tasks: an incident whose fix is three steps of work, one done, one open, one waiting."""

from datetime import timedelta

from django.utils import timezone

from fulfilment import services as fulfilment_services
from fulfilment.services import TaskSpec


def populate(*, agent, requester, group, category=None) -> None:
    """``group``: the team that does the work (``agent`` is one of its members)."""
    from incidents import services as incident_services

    incident = incident_services.create_incident(
        by=requester, requester=requester, title="Laptop screen cracked, I need a replacement",
        description="I dropped my laptop this morning; the screen is cracked and half of it is black.",
        channel="portal", impact=3, urgency=2, category=category, assignment_group=group)
    now = timezone.now()
    order, configure, hand_over = fulfilment_services.create_tasks(incident, [
        TaskSpec("Take a replacement laptop from stock", assignment_group=group, assignee=agent, step=1,
                 due_at=now + timedelta(hours=4)),
        TaskSpec("Image the laptop and restore the user's profile", assignment_group=group, step=2,
                 due_at=now + timedelta(days=1)),
        TaskSpec("Hand the laptop over and collect the broken one", assignment_group=group, step=3,
                 due_at=now + timedelta(days=2)),
    ], by=agent)
    fulfilment_services.transition_task(order, "done", by=agent,
                                        fields={"completion_notes": "Asset LT-0423 taken from the shelf."})
