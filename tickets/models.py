"""What every ticket type shares: numbering, priority, the timeline, attachments, watchers."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import AssignmentGroup
from tickets import write_guard


class Impact(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Urgency(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "P1 - Critical"
    HIGH = 2, "P2 - High"
    MODERATE = 3, "P3 - Moderate"
    LOW = 4, "P4 - Low"
    PLANNING = 5, "P5 - Planning"


class Channel(models.TextChoices):
    PORTAL = "portal", "Self-service portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"


class PriorityMatrixEntry(models.Model):
    """Tenant-editable impact x urgency -> priority matrix (ITIL)."""

    impact = models.PositiveSmallIntegerField(choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique_cell")]

    def __str__(self):
        return f"impact {self.impact} x urgency {self.urgency} -> P{self.priority}"


DEFAULT_PRIORITY_MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}


class Category(models.Model):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent")]

    def __str__(self):
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Ticket(models.Model):
    """Abstract base of incidents, problems, changes, requests and tasks.

    Subclasses set ``NUMBER_PREFIX`` and ``workflow`` and add their own fields.
    """

    NUMBER_PREFIX: str = ""
    workflow = None  # tickets.workflow.Workflow

    number = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True, editable=False)
    state = models.CharField(max_length=20)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assignment_group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_%(app_label)s")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PLANNING)
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Optimistic concurrency: bumped on every write; exposed as the API's ETag.
    version = models.PositiveIntegerField(default=1)

    objects = write_guard.GuardedTicketQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        # Only tickets.services writes ticket rows (see tickets/write_guard.py for why and the escape).
        write_guard.check(type(self), "save()")
        super().save(*args, **kwargs)

    @property
    def state_label(self) -> str:
        return self.workflow.states.get(self.state, self.state)

    @property
    def is_open(self) -> bool:
        return self.state in self.workflow.open_states

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def ticket_type_label(ticket_or_model) -> str:
    """How timeline entries and attachments name a ticket's type: its model label, e.g. "incidents.incident".

    A label rather than a ContentType id: content-type ids are per schema and can
    differ between tenants created at different times, labels cannot.
    """
    return ticket_or_model._meta.label_lower


class TimelineEntry(models.Model):
    """One row of a ticket's history. Written only by tickets.services, in the same transaction as the change."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        REPLY = "reply", "Reply"
        WORK_NOTE = "work_note", "Work note"
        FIELD_CHANGE = "field_change", "Field change"
        TRANSITION = "transition", "State change"
        ATTACHMENT = "attachment", "Attachment"
        SYSTEM = "system", "System"

    ticket_type = models.CharField(max_length=60)
    ticket_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Public entries are visible to the requester; work notes and field changes never are.
    is_public = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Transitions: {"action", "from", "to"}; field changes: {"changes": [{"field","label","old","new"}]}
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket_type", "ticket_id", "created_at"], name="timeline_ticket_idx")]
        verbose_name_plural = "timeline entries"

    def __str__(self):
        return f"{self.get_kind_display()} on {self.ticket_type}:{self.ticket_id}"


def attachment_upload_to(instance, filename):
    from django.db import connection

    # The tenant is part of every stored path, and the path itself is stored in the row.
    return f"tenants/{connection.schema_name}/attachments/{timezone.now():%Y/%m}/{instance.storage_token}/{filename}"


class Attachment(models.Model):
    ticket_type = models.CharField(max_length=60)
    ticket_id = models.BigIntegerField()
    entry = models.ForeignKey(TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    storage_token = models.CharField(max_length=32, editable=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket_type", "ticket_id"], name="attachment_ticket_idx")]

    def __str__(self):
        return self.filename


class NotificationDelivery(models.Model):
    """One row per notification task that sent its mail: what makes a redelivered task a no-op.

    Celery redelivers a task whose worker died before acknowledging it (acks_late); the task's id
    stays the same, so a row keyed by it tells the second run that the mail already left. The row
    is inserted in the same transaction as the send, so a crash before commit sends again (at most
    one duplicate, in the instant between the mail server's "accepted" and the commit) and never loses one.
    """

    task_id = models.CharField(max_length=64, unique=True)
    ticket_type = models.CharField(max_length=60)
    ticket_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket_type", "ticket_id"], name="delivery_ticket_idx")]

    def __str__(self):
        return f"{self.kind} to {self.recipient} for {self.ticket_type}:{self.ticket_id}"
