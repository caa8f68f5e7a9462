"""The tasks card on the page of a ticket whose type opts in (``TicketType(extensions=("tasks",))``).

It lists the ticket's tasks (number, title, step, state, assignee, due) with how far they are, and an
"Add task" form posting to ``desk:add_task``.
"""

from django.urls import reverse

from fulfilment import queries
from fulfilment.forms import AddTaskForm
from tickets.extensions import TicketExtension


class TasksExtension(TicketExtension):
    name = "tasks"
    side_template = "fulfilment/_tasks_card.html"

    def side_context(self, ticket) -> dict:
        tasks = list(queries.tasks_of(ticket))
        finished = len(tasks) - len(queries.unfinished(tasks))
        return {
            "tasks": tasks,
            "finished": finished,
            "form": AddTaskForm(),
            "add_url": reverse("desk:add_task", args=[ticket.number]),
            "can_add": ticket.state not in ticket.workflow.final,
        }
