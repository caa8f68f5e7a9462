"""Service level management: calendars, policies with targets and escalations, and the clocks on tickets.

All of these live in each tenant's schema. The one cross-tenant table, the index of
when each running clock next needs attention, is ``sla.due.models.DueClock`` in public.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import AssignmentGroup
from sla.business_time import DAY_MINUTES, Schedule
from tickets.models import Category, Priority


def default_ticket_type() -> str:
    """The first registered ticket type's label: SLA serves every type and names none itself.

    The services always pass a type; this default is for rows made directly (fixtures, shell).
    """
    from tickets.registry import ticket_models

    models = ticket_models()
    return models[0]._meta.label_lower if models else ""


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Calendar(models.Model):
    """Working hours in a time zone, minus holidays. ``is_24x7`` is the built-in round-the-clock calendar."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_24x7 = models.BooleanField(default=False, editable=False)
    # Bumped by every change to the calendar, its hours or holidays: the key of cached schedules.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_24x7", "name"]

    def __str__(self):
        return self.name

    def schedule(self) -> Schedule:
        """The pure arithmetic view; reads hours and holidays (use queries.schedule_for to cache it)."""
        if self.is_24x7:
            return Schedule.always(self.time_zone)
        return Schedule.weekly(
            self.time_zone,
            [(h.weekday, h.start_minute, h.end_minute) for h in self.hours.all()],
            [h.date for h in self.holidays.all()],
        )


class WorkingHours(models.Model):
    """One working interval of a weekday in the calendar's local time; several per day are allowed."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField()  # minutes after local midnight
    end_minute = models.PositiveSmallIntegerField()  # up to 1440 (24:00)

    class Meta:
        ordering = ["weekday", "start_minute"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sla_hours_weekday"),
            models.CheckConstraint(condition=Q(start_minute__lt=models.F("end_minute")) & Q(end_minute__lte=DAY_MINUTES),
                                   name="sla_hours_ordered"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {format_minute(self.start_minute)}-{format_minute(self.end_minute)}"


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique_date")]

    def __str__(self):
        return f"{self.date} {self.name}"


class Metric(models.TextChoices):
    RESPONSE = "response", "First response"
    RESOLUTION = "resolution", "Resolution"
    NEXT_REPLY = "next_reply", "Next reply"


class Policy(models.Model):
    """Which tickets get which targets. The first active policy (lowest ``order``) whose conditions all hold applies.

    Conditions left empty match every ticket of the type.
    """

    class Vip(models.TextChoices):
        ANY = "", "Any requester"
        VIP = "vip", "VIP requesters only"
        NOT_VIP = "not_vip", "Non-VIP requesters only"

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    ticket_type = models.CharField(max_length=60, default=default_ticket_type)  # a model label
    order = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    channels = models.JSONField(default=list, blank=True)  # tickets.models.Channel values; empty = any
    requester_vip = models.CharField(max_length=10, choices=Vip.choices, blank=True, default=Vip.ANY)
    # Ticket states in which this policy's clocks pause; empty = the workflow's own "waiting" states.
    pause_states = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket_type", "order", "name"]
        verbose_name_plural = "policies"
        constraints = [models.UniqueConstraint(fields=["ticket_type", "order"], condition=Q(is_active=True),
                                               name="sla_policy_unique_active_order")]

    def __str__(self):
        return self.name


class Target(models.Model):
    """How long a metric may take at a priority, counted in the named calendar's business time."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    duration_seconds = models.PositiveIntegerField()
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="targets")

    class Meta:
        ordering = ["metric", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "priority"], name="sla_target_unique"),
            models.CheckConstraint(condition=Q(duration_seconds__gt=0), name="sla_target_positive"),
        ]

    def __str__(self):
        return f"{self.policy}: {self.get_metric_display()} P{self.priority} in {self.duration_seconds}s"


class EscalationRule(models.Model):
    """What happens when a clock of ``metric`` has used ``threshold`` percent of its target (100 = breach)."""

    class Action(models.TextChoices):
        NOTIFY_ASSIGNEE = "notify_assignee", "Notify the assignee"
        NOTIFY_GROUP = "notify_group", "Notify the assignment group"
        NOTIFY_MANAGER = "notify_manager", "Notify the group's manager"
        REASSIGN = "reassign", "Reassign"
        RAISE_PRIORITY = "raise_priority", "Raise priority one level"
        ADD_WATCHERS = "add_watchers", "Add watchers"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="escalations")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the target elapsed; 100 is the breach.")
    action = models.CharField(max_length=20, choices=Action.choices)
    # Reassign: to this group (and optionally this agent in it).
    group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Add watchers: these people.
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["metric", "threshold", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "threshold", "action"], name="sla_escalation_unique"),
            models.CheckConstraint(condition=Q(threshold__gte=1) & Q(threshold__lte=1000), name="sla_escalation_threshold"),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} at {self.threshold}%: {self.get_action_display()}"


class Clock(models.Model):
    """One SLA target running on one ticket.

    The deadline is ``started_at`` plus the target plus the business time spent
    paused, all in the calendar's business time; ``pauses`` keeps the paused
    intervals themselves so a change of calendar or policy re-measures them
    instead of losing them.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"

    class Outcome(models.TextChoices):
        NONE = "", "In progress"
        MET = "met", "Met"
        BREACHED = "breached", "Breached"
        CANCELLED = "cancelled", "Cancelled"

    ticket_type = models.CharField(max_length=60)
    ticket_id = models.BigIntegerField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="clocks")
    # Copies kept for reporting: the ticket's priority and group as the clock last saw them.
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    assignment_group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # [[start ISO, end ISO or null], ...]: closed pauses, and the open one while paused.
    pauses = models.JSONField(default=list, blank=True)
    paused_seconds = models.FloatField(default=0)  # business seconds in closed pauses (cache of ``pauses``)
    deadline = models.DateTimeField()
    # When the current deadline passed; cleared when a re-target moves the deadline back into the future.
    breached_at = models.DateTimeField(null=True, blank=True)
    # When the clock first ran past a deadline it had. Never cleared: a later re-target that moves the
    # deadline out does not undo a breach (compliance, badges and the API report it).
    first_breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default=Outcome.NONE)
    # The next moment a threshold or the breach is due; null while paused or stopped.
    next_check_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket_type", "ticket_id", "metric"]
        constraints = [models.UniqueConstraint(fields=["ticket_type", "ticket_id", "metric"], name="sla_clock_unique_metric")]
        indexes = [
            # "Breaching soon" and queue badges: running clocks by deadline.
            models.Index(fields=["ticket_type", "deadline"], name="sla_clock_running_idx", condition=Q(state="running")),
            # Compliance reports: stopped clocks by when they stopped.
            models.Index(fields=["stopped_at", "outcome"], name="sla_clock_stopped_idx", condition=Q(state="stopped")),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} clock on {self.ticket_type}:{self.ticket_id}"

    @property
    def breached_earlier(self) -> bool:
        """Breached a deadline that a later re-target moved out; the current deadline was kept (so far)."""
        return self.first_breached_at is not None and self.breached_at is None and self.outcome != self.Outcome.BREACHED

    @property
    def open_pause_since(self):
        from django.utils.dateparse import parse_datetime

        if self.pauses and self.pauses[-1][1] is None:
            return parse_datetime(self.pauses[-1][0])
        return None


class Firing(models.Model):
    """An escalation rule that has fired on a clock. The unique row is what makes it fire once."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="firings")
    rule = models.ForeignKey(EscalationRule, null=True, on_delete=models.SET_NULL, related_name="firings")
    threshold = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=20, choices=EscalationRule.Action.choices)
    fired_at = models.DateTimeField(default=timezone.now)
    # Notifications are mailed by a task after commit; it sets this so a redelivered task mails no one twice.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fired_at", "id"]
        constraints = [models.UniqueConstraint(fields=["clock", "rule"], name="sla_firing_once")]

    def __str__(self):
        return f"{self.get_action_display()} at {self.threshold}% on {self.clock}"


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
