"""What every ticket type shares: numbering, priority, the timeline, attachments, watchers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Concat, Greatest, Least
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


class TicketQuerySet(write_guard.GuardedTicketQuerySet):
    def visible_to(self, user):
        """The one visibility rule: agents see all of their tenant's tickets, requesters those they raised or watch.

        Used by the desk, the portal, the API, attachments, search and notifications alike.
        """
        if user.is_agent:
            return self
        return self.raised_or_watched_by(user)

    def raised_or_watched_by(self, user):
        """What the portal lists for anyone, agents included: their own and watched tickets."""
        return self.filter(Q(requester=user) | Q(watchers=user)).distinct()


class Ticket(models.Model):
    """Abstract base of incidents, problems, changes, requests and tasks.

    Subclasses set ``NUMBER_PREFIX`` and ``workflow`` and add their own fields.
    """

    NUMBER_PREFIX: str = ""
    workflow = None  # tickets.workflow.Workflow
    # The URL name of the type's desk detail page (takes the number); links to the ticket use it.

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

    objects = TicketQuerySet.as_manager()

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

    def is_visible_to(self, user) -> bool:
        """This ticket under the one visibility rule (``TicketQuerySet.visible_to``)."""
        return user.is_agent or type(self)._default_manager.visible_to(user).filter(pk=self.pk).exists()

    @property
    def awaiting_confirmation(self) -> bool:
        """Resolved but not closed: the requester is asked to confirm or reopen."""
        return self.state in self.workflow.resolved

    @property
    def etag(self) -> str:
        return self.etag_of(self.version)

    @staticmethod
    def etag_of(version: int) -> str:
        return f'"{version}"'

    def get_desk_url(self) -> str | None:
        """The ticket's page on the agent desk, when its type has one."""
        from django.urls import reverse

        from tickets import types

        ticket_type = types.for_model(self)
        if ticket_type is None:
            return None
        return reverse("desk:detail", kwargs={"type_slug": ticket_type.slug, "number": self.number})


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
        LINK = "link", "Link"
        # Written by the approval engine (approvals/): a decision, a stage starting or ending.
        APPROVAL = "approval", "Approval"

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


def _end_key(side: str):
    """One end of a link as text, "incidents.incident:42", comparable with the other end."""
    return Concat(f"{side}_type", models.Value(":"), Cast(f"{side}_id", models.TextField()),
                  output_field=models.TextField())


class TicketLink(models.Model):
    """A typed link between two tickets of any registered types (tickets.links.kinds names the kinds).

    Each side points at its ticket like timeline entries do (model label + id). A link is read from
    both sides: "INC1 causes INC2" is "INC2 caused by INC1". Written only by tickets.links.services.
    """

    kind = models.CharField(max_length=30)
    source_type = models.CharField(max_length=60)
    source_id = models.BigIntegerField()
    target_type = models.CharField(max_length=60)
    target_id = models.BigIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="link_source_idx"),
            models.Index(fields=["target_type", "target_id"], name="link_target_idx"),
        ]
        constraints = [
            # One link of a kind per pair of tickets, whichever side it was made from: the pair is
            # keyed by its two ends in a fixed order, so "A causes B" also blocks "B causes A".
            models.UniqueConstraint(
                "kind",
                Least(_end_key("source"), _end_key("target")),
                Greatest(_end_key("source"), _end_key("target")),
                name="link_unique_pair_per_kind",
            ),
            models.CheckConstraint(
                condition=~(models.Q(source_type=models.F("target_type")) & models.Q(source_id=models.F("target_id"))),
                name="link_not_to_itself",
            ),
        ]

    def __str__(self):
        return f"{self.source_type}:{self.source_id} {self.kind} {self.target_type}:{self.target_id}"
