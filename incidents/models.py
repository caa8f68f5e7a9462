from django.db import models
from django.db.models import Q

from incidents.workflow import OPEN, WORKFLOW
from tickets.models import Ticket


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM = "awaiting_problem", "Awaiting problem"


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", "Solved (permanently)"
    SOLVED_WORKAROUND = "solved_workaround", "Solved (workaround)"
    SOLVED_REMOTELY = "solved_remotely", "Solved remotely"
    NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
    DUPLICATE = "duplicate", "Duplicate"
    RESOLVED_BY_CALLER = "resolved_by_caller", "Resolved by caller"
    RESOLVED_BY_PARENT = "resolved_by_parent", "Resolved by parent incident"
    RESOLVED_BY_PROBLEM = "resolved_by_problem", "Resolved by the fix of a problem"


class Incident(Ticket):
    NUMBER_PREFIX = "INC"
    workflow = WORKFLOW
    # Fields an agent may edit directly; state-related fields change only through actions.
    EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "category", "assignment_group",
                       "assignee", "channel", "is_major", "requester")

    state = models.CharField(max_length=20, choices=WORKFLOW.state_choices(), default=WORKFLOW.initial)
    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(max_length=30, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True, help_text="Visible to the requester.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    is_major = models.BooleanField("major incident", default=False)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            # The agent queue: open work by state/group/assignee, sorted by priority then age.
            models.Index(fields=["priority", "opened_at"], name="inc_open_prio_idx", condition=Q(state__in=OPEN)),
            models.Index(fields=["assignment_group", "state", "priority", "opened_at"], name="inc_group_state_idx"),
            models.Index(fields=["assignee", "state", "priority", "opened_at"], name="inc_assignee_state_idx"),
            models.Index(fields=["state", "id"], name="inc_state_id_idx"),
            # API list (newest first) filtered by group and state; queue sorted within any one state.
            models.Index(fields=["assignment_group", "state", "id"], name="inc_group_state_id_idx"),
            models.Index(fields=["state", "priority", "opened_at", "id"], name="inc_state_prio_idx"),
            models.Index(fields=["requester", "opened_at"], name="inc_requester_idx"),
            models.Index(fields=["state", "resolved_at"], name="inc_resolved_idx", condition=Q(state="resolved")),
        ]
        # Also: inc_title_trgm_idx, a pg_trgm GIN index on UPPER(title) for queue text search
        # (created in migration 0003 because Django cannot express it portably).
