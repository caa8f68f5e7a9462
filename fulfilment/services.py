"""Fulfilment tasks: creating them under a parent, working them in steps, cancelling what is left.

Lock order (every writer here, and the sequencing listener): the parent row first, then its tasks
in (step, number) order. Two tasks of one parent finishing at the same moment therefore queue on the
parent: the second sees the first's commit, so exactly one of them opens the next step and exactly
one publishes ``TASKS_DONE``; and a parent cancelling its tasks never waits on a task that waits on it.
The desk and the API transition tasks through ``transition_task`` (the type's registered transition),
which takes the parent's lock before ``tickets.services.transition`` takes the task's.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from accounts.models import AssignmentGroup, User
from core.exceptions import NotPermitted, ValidationFailed
from fulfilment import queries
from fulfilment.links import TASK_OF
from fulfilment.models import Task
from fulfilment.workflow import CANCELLED, FINISHED, OPEN, PENDING
from tickets import services as ticket_services
from tickets.links import services as link_services
from tickets.models import Impact, Urgency, ticket_type_label
from tickets.registry import model_for_number
from tickets.services import SystemActor

# The desk acting on its own: opening a step whose turn has come, linking tasks a non-agent's action made.
FULFILMENT = SystemActor("fulfilment")
MAX_STEP = 32767  # the column is a smallint


@dataclass(frozen=True)
class TaskSpec:
    """One task to create: what a catalogue item's fulfilment template (or a change plan) lists."""

    title: str
    description: str = ""
    assignment_group: AssignmentGroup | None = None
    assignee: User | None = None
    step: int = 1
    due_at: datetime | None = None


SPEC_FIELDS = tuple(f.name for f in dataclass_fields(TaskSpec))
# What an agent adding one task may also set; by default the task takes them from its parent.
OVERRIDE_FIELDS = ("impact", "urgency", "category")

_quiet: ContextVar[bool] = ContextVar("fulfilment_cancelling_open_tasks", default=False)


def is_cancelling_open_tasks() -> bool:
    """True inside ``cancel_open_tasks``: no next step opens and no TASKS_DONE is published."""
    return _quiet.get()


@contextmanager
def _cancelling():
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def _check_parent(parent, errors: dict) -> None:
    if parent is None or getattr(parent, "pk", None) is None or getattr(parent, "workflow", None) is None:
        errors.setdefault("parent", []).append("Tasks need an existing ticket as their parent.")
    elif isinstance(parent, Task):
        errors.setdefault("parent", []).append(f"{parent.number} is a task; tasks have no tasks of their own.")
    elif parent.state in parent.workflow.final:
        errors.setdefault("parent", []).append(
            f"{parent.number} is {parent.state_label.lower()}; tasks can only be added to an unfinished ticket.")


def _due(value, errors: dict, key: str):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            errors.setdefault(key, []).append(
                "Enter a date and time with its UTC offset, e.g. 2026-12-24T17:00:00+01:00.")
            return None
        value = parsed
    if not isinstance(value, datetime):
        errors.setdefault(key, []).append("Enter a date and time.")
        return None
    if value.tzinfo is None:
        errors.setdefault(key, []).append("Give the date and time with its UTC offset (e.g. +01:00 or Z).")
        return None
    return value


def _check_spec(spec: TaskSpec, errors: dict, prefix: str) -> TaskSpec:
    """The spec with its due date parsed; problems go to ``errors`` under ``<prefix><field>``."""
    title = (spec.title or "").strip() if isinstance(spec.title, str) else ""
    if not title:
        errors.setdefault(f"{prefix}title", []).append("A short summary of the task is required.")
    elif len(title) > 200:
        errors.setdefault(f"{prefix}title", []).append("At most 200 characters.")
    step = spec.step
    if isinstance(step, bool) or not isinstance(step, int):
        errors.setdefault(f"{prefix}step", []).append("The step is a whole number, 1 or more.")
    elif not 1 <= step <= MAX_STEP:
        errors.setdefault(f"{prefix}step", []).append(f"The step must be between 1 and {MAX_STEP}.")
    due_at = _due(spec.due_at, errors, f"{prefix}due_at")
    group, assignee = spec.assignment_group, spec.assignee
    if group is not None and not isinstance(group, AssignmentGroup):
        errors.setdefault(f"{prefix}assignment_group", []).append("Not an assignment group.")
        group = None
    if assignee is not None:
        if not isinstance(assignee, User) or not assignee.is_active or not assignee.is_agent:
            errors.setdefault(f"{prefix}assignee", []).append(f"{assignee} is not an active agent.")
        elif group is not None and not group.members.filter(pk=assignee.pk).exists():
            errors.setdefault(f"{prefix}assignee", []).append(f"{assignee} is not a member of {group}.")
    return TaskSpec(title=title, description=(spec.description or "").strip(), assignment_group=group,
                    assignee=assignee, step=step, due_at=due_at)


def _locked_rows(model):
    # Only the parent's row is locked; its requester comes in the same query (each task is the requester's).
    return model._default_manager.select_for_update(of=("self",)).select_related("requester")


def lock_parent(parent):
    """The parent row, locked: the first lock of every fulfilment write (see the module's lock order)."""
    return _locked_rows(type(parent)).get(pk=parent.pk)


def _first_unfinished_step(tasks) -> int | None:
    steps = [task.step for task in queries.unfinished(tasks)]
    return min(steps) if steps else None


def create_tasks(parent, specs, *, by) -> list[Task]:
    """Create ``specs`` as tasks of ``parent`` in the caller's transaction; refuses bad specs, writing nothing.

    Each task takes its requester, channel, category and impact x urgency (so its priority) from the
    parent, is linked to it as ``task_of`` (an entry on both timelines) and starts open when no unfinished
    task (earlier or new) has a lower step, pending otherwise. Field errors are named ``tasks.<i>.<field>``.
    """
    specs = list(specs)
    errors: dict[str, list[str]] = {}
    _check_parent(parent, errors)
    if not all(isinstance(spec, TaskSpec) for spec in specs):
        errors.setdefault("tasks", []).append("Give each task as a fulfilment.services.TaskSpec.")
        specs = []
    checked = [_check_spec(spec, errors, f"tasks.{index}.") for index, spec in enumerate(specs)]
    if errors:
        raise ValidationFailed("The tasks were not created.", fields=errors)
    return _create(parent, checked, by=by, overrides={})


def _create(parent, specs: list[TaskSpec], *, by, overrides: dict, parent_locked: bool = False) -> list[Task]:
    """``parent_locked``: ``parent`` was read with ``_locked_rows`` in the caller's transaction."""
    if not specs:
        return []
    # A savepoint when the caller has a transaction: a refusal half-way leaves none of the tasks behind
    # (``create_task_by_number`` has its own block, around the parent's lock, for that).
    with transaction.atomic(savepoint=not parent_locked):
        locked = parent if parent_locked else lock_parent(parent)
        errors: dict[str, list[str]] = {}
        _check_parent(locked, errors)  # again on the locked row: it may have finished since it was read
        if errors:
            raise ValidationFailed("The tasks were not created.", fields=errors)
        existing = list(queries.tasks_of(locked))
        first = min(_first_unfinished_step(existing) or specs[0].step, *(spec.step for spec in specs))
        linker = by if getattr(by, "is_agent", False) else FULFILMENT
        label = ticket_type_label(locked)
        created = []
        for spec in specs:
            fields = {
                "description": spec.description, "assignment_group": spec.assignment_group,
                "assignee": spec.assignee, "step": spec.step, "due_at": spec.due_at,
                "impact": overrides.get("impact", locked.impact), "urgency": overrides.get("urgency", locked.urgency),
                "parent_type": label, "parent_pk": locked.pk, "parent_number": locked.number,
            }
            if "category" in overrides:
                fields["category"] = overrides["category"]
            else:
                fields["category_id"] = locked.category_id
            task = ticket_services.create_ticket(
                Task, by=by, requester=locked.requester, title=spec.title, channel=locked.channel, fields=fields,
                state=OPEN if spec.step == first else PENDING)
            link_services.link_new_ticket(task, locked, TASK_OF.name, by=linker, other_locked=True)
            created.append(task)
    return created


def create_task(parent, *, by, **fields) -> Task:
    """An agent adding one task to ``parent`` by hand (the desk's "Add task", ``POST /api/v1/tasks/``).

    ``fields``: those of ``TaskSpec`` (title required), and ``impact``, ``urgency``, ``category`` to
    differ from the parent's. Field errors are named after the fields.
    """
    return _add_one(parent, by=by, fields=fields, locked=False)


def _add_one(parent, *, by, fields: dict, locked: bool) -> Task:
    if not getattr(by, "is_agent", False):
        raise NotPermitted("Only agents can add tasks.")
    unknown = sorted(set(fields) - set(SPEC_FIELDS) - set(OVERRIDE_FIELDS))
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in unknown}
    _check_parent(parent, errors)
    overrides = {name: fields[name] for name in OVERRIDE_FIELDS if fields.get(name) is not None}
    for name, choices in (("impact", Impact.values), ("urgency", Urgency.values)):
        if name in overrides and overrides[name] not in choices:
            errors.setdefault(name, []).append("Choose 1 (high), 2 (medium) or 3 (low).")
    values = {name: fields[name] for name in SPEC_FIELDS if name in fields}
    values.update(title=values.get("title") or "", description=values.get("description") or "",
                  step=1 if values.get("step") is None else values["step"])
    spec = _check_spec(TaskSpec(**values), errors, "")
    if errors:
        raise ValidationFailed("The task was not created.", fields=errors)
    return _create(parent, [spec], by=by, overrides=overrides, parent_locked=locked)[0]


def create_standalone_task(*, by, requester, title: str, description: str = "",
                           assignment_group: AssignmentGroup | None = None) -> Task:
    """A task with no parent ticket, raised by the desk itself (the CMDB's "verify this stale CI").

    Its ``parent_*`` columns are blank (``parent_pk`` 0), so it has no siblings and no step to wait for:
    it starts open, and finishing it opens or publishes nothing. ``requester`` is whom it is for.
    """
    errors: dict[str, list[str]] = {}
    spec = _check_spec(TaskSpec(title=title or "", description=description or "", assignment_group=assignment_group),
                       errors, "")
    if errors:
        raise ValidationFailed("The task was not created.", fields=errors)
    with transaction.atomic():
        return ticket_services.create_ticket(
            Task, by=by, requester=requester, title=spec.title, channel="monitoring", state=OPEN, fields={
                "description": spec.description, "assignment_group": spec.assignment_group,
                "parent_type": "", "parent_pk": 0, "parent_number": ""})


def create_task_by_number(*, by, parent=None, **fields) -> Task:
    """``create_task`` for a parent named by its number (the desk's create page and the API).

    The parent is found and locked in one query (the first lock, see the module's lock order), in the
    caller's transaction when there is one (the desk's create page has one): every refusal comes before
    the first write, so no savepoint is needed.
    """
    if transaction.get_connection().in_atomic_block:
        return _add_by_number(by=by, parent=parent, fields=fields)
    with transaction.atomic():
        return _add_by_number(by=by, parent=parent, fields=fields)


def _add_by_number(*, by, parent, fields: dict) -> Task:
    number = (parent or "").strip().upper() if isinstance(parent, str) else ""
    model = model_for_number(number) if number else None
    ticket = _locked_rows(model).filter(number=number).first() if model is not None else None
    if ticket is None:
        message = f"There is no ticket {number}." if number else "Give the number of the ticket the task is for."
        raise ValidationFailed("The task was not created.", fields={"parent": [message]})
    return _add_one(ticket, by=by, fields=fields, locked=True)


def transition_task(task, action: str, *, by, fields=None, expected_version=None, comment=""):
    """Any task action (the type's registered transition): the parent is locked first (the lock order)."""
    with transaction.atomic():
        queries.parent_of(task, lock=True)
        return ticket_services.transition(task, action, by=by, fields=fields, expected_version=expected_version,
                                          comment=comment)


def cancel_open_tasks(parent, *, by, reason: str) -> list[Task]:
    """Cancel every unfinished task of ``parent`` (pending ones too), with ``reason``; returns them.

    For a parent that is cancelled or rejected, inside its transaction. Neither opens a next step nor
    publishes TASKS_DONE: the parent is abandoned, not fulfilled.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("The tasks were not cancelled.", fields={"reason": ["Say why the tasks are cancelled."]})
    actor = by if getattr(by, "is_agent", False) else FULFILMENT
    with transaction.atomic(), _cancelling():
        locked = lock_parent(parent)
        cancelled = []
        for task in queries.unfinished(queries.tasks_of(locked)):
            cancelled.append(ticket_services.transition(task, "cancel", by=actor,
                                                        fields={"cancel_reason": reason[:300]}))
    return cancelled


def open_ready_tasks(parent, *, tasks=None) -> list[Task]:
    """Open the pending tasks whose turn has come: those of the lowest step that has unfinished tasks.

    Called with the parent locked (the sequencing listener); ``tasks`` as read after taking that lock.
    """
    tasks = list(queries.tasks_of(parent)) if tasks is None else tasks
    first = _first_unfinished_step(tasks)
    opened = []
    for task in tasks:
        if task.step == first and task.state == PENDING:
            opened.append(ticket_services.transition(task, "open", by=FULFILMENT,
                                                     comment=f"Step {first} of {parent.number} can start."))
    return opened

