"""Approval chains: definitions built by tenant admins, and the approvals running on tickets.

A definition (``ApprovalChainDefinition`` + ordered ``StageDefinition`` rows) is copied into an
``Approval`` with its ``ApprovalStage`` rows when a chain starts on a ticket, so editing a
definition never changes an approval already under way. Each started stage asks one or more
people (``ApprovalRequest``); every decision is kept (``ApprovalDecision``), and so is every
stage change, on the ticket's timeline. Approvals point at any ticket as timeline entries do
(model label + id).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import AssignmentGroup
from sla.models import Calendar


class StageKind(models.TextChoices):
    MANAGER = "manager", "The requester's manager"
    USER = "user", "A named person"
    GROUP = "group", "A group"
    RULE = "rule", "A rule on the ticket's data"


class GroupMode(models.TextChoices):
    ANY = "any", "Any one member"
    ALL = "all", "All members"
    QUORUM = "quorum", "A quorum of members"


class TimeoutAction(models.TextChoices):
    ESCALATE = "escalate", "Escalate to a named person"
    REJECT = "reject", "Reject automatically"


class ApprovalChainDefinition(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StageDefinition(models.Model):
    """One stage of a chain. Who approves: the requester's manager, a person, or a group.

    A rule stage asks its person or group only when ``rule_condition`` holds on the ticket's facts;
    any stage is skipped when its ``skip_condition`` (empty: never) holds.
    """

    chain = models.ForeignKey(ApprovalChainDefinition, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=StageKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    group_mode = models.CharField(max_length=10, choices=GroupMode.choices, default=GroupMode.ANY)
    quorum = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_condition = models.JSONField(default=dict, blank=True)
    skip_condition = models.JSONField(default=dict, blank=True)
    reminder_after_hours = models.PositiveIntegerField(default=0)  # business hours; 0: no reminder
    timeout_after_hours = models.PositiveIntegerField(default=0)  # business hours; 0: no timeout
    timeout_action = models.CharField(max_length=10, choices=TimeoutAction.choices, blank=True)
    escalate_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # Null: the tenant's built-in 24x7 calendar.
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["chain", "order"]
        constraints = [models.UniqueConstraint(fields=["chain", "order"], name="approvals_stage_unique_order")]

    def __str__(self):
        return f"{self.chain}: {self.order}. {self.name}"


class Approval(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    ticket_type = models.CharField(max_length=60)
    ticket_id = models.BigIntegerField()
    definition = models.ForeignKey(ApprovalChainDefinition, null=True, on_delete=models.SET_NULL, related_name="+")
    chain_name = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # Why it ended: the rejection's reason, the cancellation's, "Timed out ...".
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket_type", "ticket_id", "created_at"], name="approval_ticket_idx")]
        constraints = [
            # At most one approval under way per ticket, whatever two writers try at once.
            models.UniqueConstraint(fields=["ticket_type", "ticket_id"], condition=Q(state="pending"),
                                    name="approval_one_pending_per_ticket"),
        ]

    def __str__(self):
        return f"{self.chain_name} on {self.ticket_type}:{self.ticket_id} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING


class ApprovalStage(models.Model):
    """A stage of a running approval, copied from its definition when the approval started."""

    class State(models.TextChoices):
        WAITING = "waiting", "Not started"
        PENDING = "pending", "Waiting for decisions"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="stages")
    definition = models.ForeignKey(StageDefinition, null=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=StageKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group_mode = models.CharField(max_length=10, choices=GroupMode.choices, default=GroupMode.ANY)
    quorum = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_condition = models.JSONField(default=dict, blank=True)
    skip_condition = models.JSONField(default=dict, blank=True)
    reminder_after_hours = models.PositiveIntegerField(default=0)
    timeout_after_hours = models.PositiveIntegerField(default=0)
    timeout_action = models.CharField(max_length=10, choices=TimeoutAction.choices, blank=True)
    escalate_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    # Approvals this stage needs (1 for a person or "any one", every member for "all", N for a quorum).
    required = models.PositiveSmallIntegerField(default=1)
    skip_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    timeout_at = models.DateTimeField(null=True, blank=True)
    timed_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["approval", "order"]
        constraints = [models.UniqueConstraint(fields=["approval", "order"], name="approval_stage_unique_order")]

    def __str__(self):
        return f"{self.order}. {self.name} ({self.state})"

    def next_due(self):
        """The next moment the beat tick must look at this stage, or None."""
        if self.state != self.State.PENDING:
            return None
        moments = [m for m in (self.next_reminder_at, None if self.timed_out_at else self.timeout_at) if m]
        return min(moments) if moments else None


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class ApprovalRequest(models.Model):
    """One person asked to decide a stage. Their active delegate may decide it in their place."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        INFO = "info", "More information requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        # The stage ended without this person's decision (others decided it, or it was cancelled).
        CLOSED = "closed", "No longer needed"

    OPEN_STATES = (State.PENDING, State.INFO)

    stage = models.ForeignKey(ApprovalStage, on_delete=models.CASCADE, related_name="requests")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests")
    # Added when the stage timed out and escalated: this person's approval alone decides the stage.
    is_escalation = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # The signed link's single use: a link carries this value; using it replaces it.
    nonce = models.CharField(max_length=32, default=new_nonce)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stage", "created_at", "id"]
        indexes = [models.Index(fields=["approver", "state"], name="approval_request_approver_idx")]
        constraints = [models.UniqueConstraint(fields=["stage", "approver"], name="approval_request_unique_approver")]

    def __str__(self):
        return f"{self.approver} on {self.stage} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ApprovalDecision(models.Model):
    """Every decision ever taken on a request (an "info" and then an "approve" are two rows)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        INFO = "info", "Asked for more information"

    class Via(models.TextChoices):
        DESK = "desk", "Agent desk"
        PORTAL = "portal", "Portal"
        EMAIL = "email", "Email link"
        API = "api", "API"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when a delegate decided for the approver.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    comment = models.TextField(blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.by} {self.decision} {self.request_id}"


class OutOfOffice(models.Model):
    """While away (``starts_on`` to ``ends_on``, inclusive), ``delegate`` decides in the user's place."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="out_of_office")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "out of office periods"
        constraints = [
            models.CheckConstraint(condition=~Q(user=models.F("delegate")), name="approvals_ooo_not_to_oneself"),
            models.CheckConstraint(condition=Q(starts_on__lte=models.F("ends_on")), name="approvals_ooo_ordered"),
        ]

    def __str__(self):
        return f"{self.user} away {self.starts_on}-{self.ends_on}, delegate {self.delegate}"
