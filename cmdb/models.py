"""The configuration management database: classes as data, CIs, typed relationships, history, imports.

Every table here lives in the tenant's schema. Classes and relationship types are rows a tenant admin
extends (the built-in ones come from ``cmdb.builtins`` in a data migration and are marked ``is_builtin``);
a CI's ``attributes`` are validated against its class and the class's ancestors by
``cmdb.attributes.validate`` before any service writes them, never trusted from a form or the API.

Impact follows each relationship type's ``impact`` (which end a failure reaches); the walk itself is a
recursive CTE in ``cmdb.impact``, never the graph loaded into Python.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class CIClass(models.Model):
    """A kind of CI (Server, Database, Business service ...). Children inherit their ancestors' attributes."""

    key = models.SlugField(max_length=60, unique=True, help_text="Stable identifier used by imports and the API.")
    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.CharField(max_length=300, blank=True)
    # Business services are what impact analysis reports to the business; a subclass inherits the flag.
    is_business_service = models.BooleanField(default=False)
    is_builtin = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "CI class"
        verbose_name_plural = "CI classes"

    def __str__(self):
        return self.name


class AttributeDefinition(models.Model):
    """One typed attribute of a class; a CI of the class or of any descendant carries it."""

    class Type(models.TextChoices):
        STRING = "string", "Text"
        INTEGER = "integer", "Whole number"
        DECIMAL = "decimal", "Decimal number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes / no"
        CHOICE = "choice", "Choice"
        REFERENCE = "reference", "Reference to another CI"

    ci_class = models.ForeignKey(CIClass, on_delete=models.CASCADE, related_name="attribute_definitions")
    name = models.SlugField(max_length=50, help_text="Key in the CI's attributes; unique along the class's ancestry.")
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=20, choices=Type.choices)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text="For a choice: the allowed values.")
    # For a reference: the referenced CI must be of this class or one of its descendants (null: any class).
    reference_class = models.ForeignKey(CIClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    max_length = models.PositiveIntegerField(null=True, blank=True)
    help_text = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["ci_class", "name"], name="cmdb_attr_unique_name")]

    def __str__(self):
        return f"{self.ci_class}.{self.name}"


class CI(models.Model):
    """A configuration item. Identifiers (serial, FQDN, cloud id) are unique when given: imports match on them."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        LIVE = "live", "Live"
        MAINTENANCE = "maintenance", "In maintenance"
        RETIRED = "retired", "Retired"

    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production"
        STAGING = "staging", "Staging"
        TEST = "test", "Test"
        DEVELOPMENT = "development", "Development"
        DR = "dr", "Disaster recovery"

    class Criticality(models.IntegerChoices):
        CRITICAL = 1, "1 - Critical"
        HIGH = 2, "2 - High"
        MEDIUM = 3, "3 - Medium"
        LOW = 4, "4 - Low"

    name = models.CharField(max_length=200)
    ci_class = models.ForeignKey(CIClass, on_delete=models.PROTECT, related_name="cis", verbose_name="class")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LIVE)
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.PRODUCTION)
    criticality = models.PositiveSmallIntegerField(choices=Criticality.choices, default=Criticality.MEDIUM)
    description = models.TextField(blank=True)
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="owned_cis", verbose_name="owner")
    owner_group = models.ForeignKey("accounts.AssignmentGroup", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="owned_cis", verbose_name="owning group")
    support_group = models.ForeignKey("accounts.AssignmentGroup", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="supported_cis")
    attributes = models.JSONField(default=dict, blank=True)
    # Identifiers for reconciliation. Empty means "not known"; FQDNs are stored lower-case.
    serial_number = models.CharField(max_length=120, blank=True)
    fqdn = models.CharField("FQDN", max_length=255, blank=True)
    ip_addresses = ArrayField(models.GenericIPAddressField(), default=list, blank=True)
    mac_addresses = ArrayField(models.CharField(max_length=17), default=list, blank=True)
    cloud_id = models.CharField(max_length=255, blank=True)
    # The newest sighting over every discovery source (Sighting rows hold each source's own).
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(fields=["serial_number"], condition=~Q(serial_number=""), name="cmdb_ci_serial_uniq"),
            models.UniqueConstraint(fields=["fqdn"], condition=~Q(fqdn=""), name="cmdb_ci_fqdn_uniq"),
            models.UniqueConstraint(fields=["cloud_id"], condition=~Q(cloud_id=""), name="cmdb_ci_cloud_uniq"),
        ]
        indexes = [
            models.Index(Lower("name"), "ci_class", name="cmdb_ci_name_class_idx"),
            models.Index(fields=["ci_class", "status"], name="cmdb_ci_class_status_idx"),
            models.Index(fields=["status", "last_seen_at"], name="cmdb_ci_seen_idx"),
            models.Index(fields=["support_group", "status"], name="cmdb_ci_support_idx"),
        ]

    def __str__(self):
        return self.name


class Sighting(models.Model):
    """When each discovery source (an import's source name, "api", ...) first and last saw a CI."""

    ci = models.ForeignKey(CI, on_delete=models.CASCADE, related_name="sightings")
    source = models.CharField(max_length=60)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [models.UniqueConstraint(fields=["ci", "source"], name="cmdb_sighting_uniq")]

    def __str__(self):
        return f"{self.ci_id} seen by {self.source}"


class CIHistory(models.Model):
    """A CI's timeline: the same shape as tickets' TimelineEntry (kind, author, data with field changes)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        RELATIONSHIP_ADDED = "relationship_added", "Relationship added"
        RELATIONSHIP_REMOVED = "relationship_removed", "Relationship removed"

    ci = models.ForeignKey(CI, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who wrote it when no person did: an import's source name, "api" with a token's user in author, ...
    source = models.CharField(max_length=60, blank=True)
    # {"changes": [{"field", "label", "old", "new"}]} or {"relationship": {...}}
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ci", "created_at"], name="cmdb_history_ci_idx")]
        verbose_name_plural = "CI history"

    def __str__(self):
        return f"{self.get_kind_display()} on CI {self.ci_id}"


class RelationshipType(models.Model):
    """What a relationship means, read from its source: "app *depends on* db", "db *used by* app".

    ``impact`` says which end a failure reaches: TO_SOURCE (the source needs the target: the target failing
    takes the source down, as with "depends on" and "runs on"), TO_TARGET (the source failing takes the
    target down: "contains"), BOTH, or NONE (the relationship is documentation only).
    """

    class Impact(models.TextChoices):
        TO_SOURCE = "to_source", "A failure of the target affects the source"
        TO_TARGET = "to_target", "A failure of the source affects the target"
        BOTH = "both", "A failure of either end affects the other"
        NONE = "none", "No impact propagates"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=60, unique=True, help_text='Read from the source: "depends on".')
    reverse_name = models.CharField(max_length=60, help_text='Read from the target: "used by".')
    impact = models.CharField(max_length=20, choices=Impact.choices, default=Impact.TO_SOURCE)
    allows_cycles = models.BooleanField(default=False, help_text="Whether a chain of this type may come back to its start.")
    # Which classes the ends may be (a class allows its descendants too); none listed: any class.
    source_classes = models.ManyToManyField(CIClass, blank=True, related_name="+")
    target_classes = models.ManyToManyField(CIClass, blank=True, related_name="+")
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Relationship(models.Model):
    type = models.ForeignKey(RelationshipType, on_delete=models.PROTECT, related_name="relationships")
    source = models.ForeignKey(CI, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(CI, on_delete=models.CASCADE, related_name="incoming")
    # The discovery source that reported it (blank: entered by a person).
    discovered_by = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["type", "source", "target"], name="cmdb_rel_uniq"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="cmdb_rel_not_self"),
        ]
        indexes = [
            models.Index(fields=["source", "type"], name="cmdb_rel_source_idx"),
            models.Index(fields=["target", "type"], name="cmdb_rel_target_idx"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.type_id} {self.target_id}"


class AffectedCI(models.Model):
    """A CI or service named on a ticket of any registered type (label + id, as timelines point at tickets)."""

    ticket_type = models.CharField(max_length=100, help_text="The ticket's model label, as links and timelines name types.")
    ticket_id = models.BigIntegerField()
    ci = models.ForeignKey(CI, on_delete=models.CASCADE, related_name="affected_on")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket_type", "ticket_id", "ci"], name="cmdb_affected_uniq")]
        indexes = [models.Index(fields=["ci", "ticket_type"], name="cmdb_affected_ci_idx")]
        verbose_name = "affected CI"

    def __str__(self):
        return f"CI {self.ci_id} on {self.ticket_type}:{self.ticket_id}"


class CMDBSettings(models.Model):
    """The tenant's CMDB settings: one row (pk 1), created on first read by ``cmdb.queries.settings``."""

    SERIAL, FQDN, NAME_CLASS, CLOUD_ID = "serial_number", "fqdn", "name_class", "cloud_id"
    RULES = {SERIAL: "Serial number", FQDN: "Hostname / FQDN", CLOUD_ID: "Cloud id", NAME_CLASS: "Name + class"}

    identification_rules = models.JSONField(
        default=list, help_text="Reconciliation rules in priority order; keys of CMDBSettings.RULES.")
    stale_after_days = models.PositiveIntegerField(default=30)

    class Meta:
        verbose_name = "CMDB settings"
        verbose_name_plural = "CMDB settings"

    def __str__(self):
        return "CMDB settings"

    @classmethod
    def default_rules(cls) -> list[str]:
        return [cls.SERIAL, cls.FQDN, cls.CLOUD_ID, cls.NAME_CLASS]


def import_upload_to(instance, filename):
    from django.db import connection

    return f"tenants/{connection.schema_name}/cmdb-imports/{timezone.now():%Y/%m}/{instance.token}/{filename}"


class ImportJob(models.Model):
    """One upload (CSV or JSON, UI or API), reconciled row by row by a Celery task; re-running it is idempotent."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    token = models.CharField(max_length=32, editable=False, unique=True)
    source = models.CharField(max_length=60, help_text="The discovery source the rows come from (stamped on each CI).")
    format = models.CharField(max_length=10, choices=Format.choices)
    file = models.FileField(upload_to=import_upload_to, max_length=300)
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the whole file could not be read (rows have their own reasons).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import {self.pk} ({self.filename})"


class ImportRejection(models.Model):
    """A row an import refused, with why (field -> messages) and what it said."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(help_text="1-based, counting data rows (a CSV's header is row 0).")
    errors = models.JSONField(default=dict)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["row_number"]
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="cmdb_rejection_uniq")]

    def __str__(self):
        return f"Row {self.row_number} of import {self.job_id}"
