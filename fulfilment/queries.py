"""Reads of tasks: a parent's tasks, a task's parent and siblings."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet

from fulfilment.models import Task
from fulfilment.workflow import FINISHED
from tickets.models import ticket_type_label


def tasks_of(parent) -> QuerySet:
    """``parent``'s tasks, by step then number, with who works them: one query (index task_parent_idx)."""
    return (Task.objects.filter(parent_type=ticket_type_label(parent), parent_pk=parent.pk)
            .select_related("assignee", "assignment_group").order_by("step", "number"))


def siblings_of(task) -> list[Task]:
    """The other tasks of ``task``'s parent, by step then number."""
    if not task.parent_type:  # a task of its own (``services.create_standalone_task``) has no siblings
        return []
    return list(Task.objects.filter(parent_type=task.parent_type, parent_pk=task.parent_pk).exclude(pk=task.pk)
                .select_related("assignee").order_by("step", "number"))


def parent_model(task):
    try:
        return apps.get_model(task.parent_type)
    except (LookupError, ValueError):
        return None


def parent_of(task, *, lock: bool = False):
    """``task``'s parent ticket (locked for update with ``lock``), or None when it no longer exists."""
    model = parent_model(task)
    if model is None:
        return None
    rows = model._default_manager.select_for_update() if lock else model._default_manager
    return rows.filter(pk=task.parent_pk).first()


def unfinished(tasks) -> list[Task]:
    return [task for task in tasks if task.state not in FINISHED]


def still_open_reason(tasks: list[Task], unfinished_tasks: list[Task], *, limit: int = 5) -> str:
    """ "2 of 4 tasks are still open: TASK0001003 Configure laptop, TASK0001004 Ship it." """
    names = [f"{task.number} {task.title}" for task in unfinished_tasks[:limit]]
    more = len(unfinished_tasks) - limit
    if more > 0:
        names.append(f"and {more} more")
    verb = "is" if len(unfinished_tasks) == 1 else "are"
    return f"{len(unfinished_tasks)} of {len(tasks)} tasks {verb} still open: {', '.join(names)}."
