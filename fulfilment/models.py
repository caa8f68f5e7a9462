from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from fulfilment.workflow import OPEN_STATES, WORKFLOW
from tickets.models import Ticket


class Task(Ticket):
    """A piece of work for one group or agent, the child of any ticket (a requested item, a change).

    Its parent is a ``task_of`` link (tickets.links), the relation every page and timeline reads. The
    ``parent_*`` columns repeat that link's far end on the row, written once at creation and never
    changed (a task does not move to another parent), so "the tasks of X" and a list of tasks with
    their parents' numbers are one query each.
    """

    NUMBER_PREFIX = "TASK"
    workflow = WORKFLOW
    EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee",
                       "due_at")

    state = models.CharField(max_length=20, choices=WORKFLOW.state_choices(), default=WORKFLOW.initial)
    parent_type = models.CharField(max_length=100, editable=False,
                                   help_text="The parent's model label, as links and timelines name types.")
    parent_pk = models.BigIntegerField(editable=False)
    parent_number = models.CharField(max_length=20, editable=False)
    step = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)],
        help_text="Tasks of one parent with the same step run in parallel; a step opens when the earlier ones finish.")
    due_at = models.DateTimeField("due", null=True, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    completion_notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["parent_type", "parent_pk", "step", "number"], name="task_parent_idx"),
            models.Index(fields=["priority", "opened_at"], name="task_open_prio_idx", condition=Q(state__in=OPEN_STATES)),
            models.Index(fields=["assignment_group", "state", "priority", "opened_at"], name="task_group_state_idx"),
            models.Index(fields=["assignee", "state", "priority", "opened_at"], name="task_assignee_state_idx"),
            models.Index(fields=["due_at"], name="task_open_due_idx", condition=Q(state__in=OPEN_STATES)),
        ]
        constraints = [models.CheckConstraint(condition=Q(step__gte=1), name="task_step_at_least_one")]
