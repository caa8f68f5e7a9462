"""Steps and the guards: what keeps a parent's tasks in order. Wired in apps.ready().

When a task finishes (done or cancelled), inside that transition's transaction: the parent is locked
(already, when the transition came through ``services.transition_task``: the lock order), its tasks
are read afresh, and then either the next step's pending tasks open, or, when none is left
unfinished, ``TASKS_DONE`` is published on the parent. Because every such decision is made under
the parent's lock on committed rows, two tasks finishing together decide one after the other.
"""

from __future__ import annotations

from fulfilment import queries, services
from fulfilment.events import TASKS_DONE
from fulfilment.models import Task
from fulfilment.workflow import CANCELLED, DONE, FINISHED, PENDING
from tickets import events


def on_task_transitioned(event) -> None:
    task = event.ticket
    if not isinstance(task, Task):
        return
    if event.data.get("to") not in FINISHED or event.data.get("from") in FINISHED:
        return
    if services.is_cancelling_open_tasks():
        return
    parent = queries.parent_of(task, lock=True)
    if parent is None:
        return
    tasks = list(queries.tasks_of(parent))
    if queries.unfinished(tasks):
        services.open_ready_tasks(parent, tasks=tasks)
        return
    counts = {"done": sum(t.state == DONE for t in tasks), "cancelled": sum(t.state == CANCELLED for t in tasks)}
    events.publish(events.TicketEvent(TASKS_DONE, parent, event.actor, counts))


def all_tasks_done(ticket) -> str | None:
    """Guard for a parent's transition: every task done or cancelled (none at all passes)."""
    tasks = list(queries.tasks_of(ticket))
    unfinished = queries.unfinished(tasks)
    return queries.still_open_reason(tasks, unfinished) if unfinished else None


def earlier_tasks_done(task) -> str | None:
    """Guard on a task's "open": a pending task waits until every task of the earlier steps has finished."""
    if task.state != PENDING:
        return None
    waiting = list(Task.objects.filter(parent_type=task.parent_type, parent_pk=task.parent_pk, step__lt=task.step)
                   .exclude(state__in=sorted(FINISHED)).order_by("step", "number").values_list("step", "number", "title"))
    if not waiting:
        return None
    names = ", ".join(f"{number} {title}" for _, number, title in waiting[:5])
    return f"Waiting for step {waiting[0][0]} to finish: {names}."


def register() -> None:
    from tickets import guards

    guards.register("all_tasks_done", all_tasks_done)
    guards.register("earlier_tasks_done", earlier_tasks_done)
    events.subscribe_in_transaction(events.TRANSITIONED)(on_task_transitioned)

