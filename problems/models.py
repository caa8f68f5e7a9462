from django.db import models
from django.db.models import Q

from problems.workflow import OPEN, WORKFLOW
from tickets.models import Ticket


class RootCauseCategory(models.TextChoices):
    SOFTWARE_DEFECT = "software_defect", "Software defect"
    CONFIGURATION = "configuration", "Configuration error"
    CAPACITY = "capacity", "Capacity"
    HARDWARE = "hardware", "Hardware failure"
    CHANGE = "change", "Failed change"
    THIRD_PARTY = "third_party", "Third party / vendor"
    PROCESS = "process", "Process or human error"
    UNKNOWN = "unknown", "Unknown"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed permanently"
    WORKAROUND_ACCEPTED = "workaround_accepted", "Workaround accepted as the fix"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted, no fix"
    DUPLICATE = "duplicate", "Duplicate problem"


class Problem(Ticket):
    """The unknown cause of one or more incidents (ITIL); a known error once its workaround is published."""

    NUMBER_PREFIX = "PRB"
    workflow = WORKFLOW
    EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee",
                       "channel", "requester", "affected_service", "root_cause_category", "root_cause",
                       "workaround", "permanent_fix", "rca_notes")

    state = models.CharField(max_length=30, choices=WORKFLOW.state_choices(), default=WORKFLOW.initial)
    affected_service = models.CharField(max_length=200, blank=True,
                                        help_text="The business service it hurts (free text until the CMDB exists).")
    root_cause_category = models.CharField(max_length=30, choices=RootCauseCategory.choices, blank=True)
    root_cause = models.TextField(blank=True, help_text="Why it happens, as far as it is known.")
    workaround = models.TextField(blank=True, help_text="How agents restore service until the fix; "
                                                        "published with the known error.")
    permanent_fix = models.TextField(blank=True)
    rca_notes = models.TextField("RCA notes", blank=True, help_text="Five whys and the timeline of events.")
    resolution_code = models.CharField(max_length=30, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    # A known error: the problem's workaround published for every agent (ITIL known error record).
    known_error_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["priority", "opened_at"], name="prb_open_prio_idx", condition=Q(state__in=OPEN)),
            models.Index(fields=["assignment_group", "state", "priority", "opened_at"], name="prb_group_state_idx"),
            models.Index(fields=["assignee", "state", "priority", "opened_at"], name="prb_assignee_state_idx"),
            models.Index(fields=["category"], name="prb_known_error_idx",
                         condition=Q(known_error_published_at__isnull=False)),
        ]

    @property
    def is_known_error(self) -> bool:
        return self.known_error_published_at is not None
