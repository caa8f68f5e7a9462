"""Fulfilment tasks as a registered ticket type: what the shared desk, API and mails need to know."""

from django.db.models import Q
from django.utils import dateformat, timezone

from fulfilment import services
from fulfilment.filters import TaskFilter
from fulfilment.forms import TaskFieldsForm
from fulfilment.models import Task
from fulfilment.workflow import FINISHED
from tickets.types import STANDARD_COLUMNS, STANDARD_COUNTERS, Column, Counter, TicketType, Toggle


def _due(task) -> str:
    if task.due_at is None:
        return ""
    text = dateformat.format(timezone.localtime(task.due_at), "j M Y, H:i")
    return f"{text} (overdue)" if task.state not in FINISHED and task.due_at < timezone.now() else text


def _row_tags(task):
    if not task.parent_type:
        return []
    return [(f"Step {task.step}", "tag-step", f"Task of {task.parent_number}, step {task.step}")]


TASK_TYPE = TicketType(
    model=Task,
    slug="tasks",
    label="Task",
    plural="Tasks",
    filterset=TaskFilter,
    fields_form=TaskFieldsForm,
    create=services.create_task_by_number,
    transition=services.transition_task,
    # Internal work: requesters follow the parent (their request), not its tasks.
    in_portal=False,
    mail_requester=False,
    counters=(*STANDARD_COUNTERS,
              Counter("overdue", "Overdue", "overdue=true",
                      lambda user: Q(due_at__lt=timezone.now()), css="counter-p1")),
    toggles=(Toggle("mine", "Mine"), Toggle("unassigned", "Unassigned"), Toggle("overdue", "Overdue")),
    templates={"detail_side": "fulfilment/_task_side.html"},
    row_tags=_row_tags,
    # Who raised the parent says less in the task queue than when the task is due and what it belongs to.
    columns=tuple(c for c in STANDARD_COLUMNS if c != "requester"),
    extra_columns=(Column("Task of", lambda task: task.parent_number), Column("Due", _due)),
    # The CIs a task works on (a change task's server) and what they take down.
    extensions=("cmdb",),
    desk_urls="fulfilment.urls_desk",
    nav_order=40,
)
