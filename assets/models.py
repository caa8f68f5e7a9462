"""IT asset management: hardware and software assets, contracts, licences against installations, patch state.

An asset that is also a configuration item points at its CI (``Asset.ci``); the fields both carry
(name, serial number, assigned user as the CI's owner, lifecycle as the CI's status) are written through
``assets.services``, which writes the CI in the same transaction, so the two never disagree.
Patch state is tracked, never deployed: rows come from imports and the API.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Asset(models.Model):
    class Kind(models.TextChoices):
        HARDWARE = "hardware", "Hardware"
        SOFTWARE = "software", "Software"

    class Lifecycle(models.TextChoices):
        ORDERED = "ordered", "Ordered"
        IN_STOCK = "in_stock", "In stock"
        DEPLOYED = "deployed", "Deployed"
        IN_REPAIR = "in_repair", "In repair"
        RETIRED = "retired", "Retired"
        DISPOSED = "disposed", "Disposed"

    asset_tag = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HARDWARE)
    model = models.CharField(max_length=120, blank=True)
    manufacturer = models.CharField(max_length=120, blank=True)
    serial_number = models.CharField(max_length=120, blank=True)
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.ORDERED)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assets")
    location = models.CharField(max_length=120, blank=True)
    # Purchase data; depreciation is straight-line from cost to salvage value over the useful life.
    vendor = models.CharField(max_length=120, blank=True)
    order_number = models.CharField(max_length=60, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    salvage_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    useful_life_months = models.PositiveIntegerField(default=36)
    purchase_date = models.DateField(null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    # The CI that represents the asset in the CMDB (one record of truth for the shared fields).
    ci = models.OneToOneField("cmdb.CI", null=True, blank=True, on_delete=models.SET_NULL, related_name="asset")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["asset_tag"]
        constraints = [
            models.UniqueConstraint(fields=["serial_number"], condition=~Q(serial_number=""), name="asset_serial_uniq"),
        ]
        indexes = [
            models.Index(fields=["lifecycle", "kind"], name="asset_lifecycle_idx"),
            models.Index(fields=["assigned_to"], name="asset_assigned_idx"),
        ]

    def __str__(self):
        return f"{self.asset_tag} {self.name}"


class AssetHistory(models.Model):
    """An asset's timeline, the shape of tickets' TimelineEntry and the CMDB's CIHistory."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=30)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["asset", "created_at"], name="asset_history_idx")]
        verbose_name_plural = "asset history"


class Contract(models.Model):
    class Kind(models.TextChoices):
        SUPPORT = "support", "Support"
        LEASE = "lease", "Lease"
        WARRANTY = "warranty", "Warranty"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    number = models.CharField(max_length=60)
    vendor = models.CharField(max_length=120)
    starts_on = models.DateField()
    ends_on = models.DateField()
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    renewal_notice_days = models.PositiveIntegerField(default=30, help_text="How long before the end the owner is reminded.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assets = models.ManyToManyField(Asset, blank=True, related_name="contracts")
    # Set when the renewal reminder went out for this end date (cleared when the end date moves).
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["ends_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "number"], name="contract_number_uniq"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="contract_dates_order"),
        ]
        indexes = [models.Index(fields=["ends_on"], name="contract_ends_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number} ({self.vendor})"


class SoftwareProduct(models.Model):
    name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=120)

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="software_product_uniq")]

    def __str__(self):
        return f"{self.vendor} {self.name}"


class Entitlement(models.Model):
    """Licences bought for a product: how many of what metric, at what unit cost, valid when."""

    class Metric(models.TextChoices):
        PER_USER = "per_user", "Per user"
        PER_DEVICE = "per_device", "Per device"
        PER_CORE = "per_core", "Per core"
        SUBSCRIPTION = "subscription", "Subscription (per user, with an end date)"

    product = models.ForeignKey(SoftwareProduct, on_delete=models.CASCADE, related_name="entitlements")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True, help_text="Required for a subscription; after it the licences lapse.")
    reference = models.CharField(max_length=120, blank=True, help_text="Order or agreement number.")
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="entitlements")

    class Meta:
        ordering = ["product", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(metric="subscription") | Q(ends_on__isnull=False),
                                   name="entitlement_subscription_ends"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.get_metric_display()} of {self.product}"


class Installation(models.Model):
    """A product found installed on a device (an asset), from imports and the API."""

    product = models.ForeignKey(SoftwareProduct, on_delete=models.CASCADE, related_name="installations")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="installations")
    version = models.CharField(max_length=60, blank=True)
    cores = models.PositiveIntegerField(null=True, blank=True, help_text="Cores licensable on the device (per-core metric).")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="Who uses it (default: the device's assigned user).")
    source = models.CharField(max_length=60, blank=True)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product", "asset"]
        constraints = [models.UniqueConstraint(fields=["product", "asset"], name="installation_uniq")]

    def __str__(self):
        return f"{self.product} on {self.asset_id}"


class Patch(models.Model):
    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        IMPORTANT = "important", "Important"
        MODERATE = "moderate", "Moderate"
        LOW = "low", "Low"

    patch_id = models.CharField(max_length=60, unique=True, help_text='The vendor\'s id, e.g. "KB5034441".')
    product = models.CharField(max_length=200)
    title = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    released_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-released_on", "patch_id"]
        verbose_name_plural = "patches"

    def __str__(self):
        return self.patch_id


class PatchState(models.Model):
    """Whether an asset has a patch installed or is missing it."""

    class State(models.TextChoices):
        INSTALLED = "installed", "Installed"
        MISSING = "missing", "Missing"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="patch_states")
    patch = models.ForeignKey(Patch, on_delete=models.CASCADE, related_name="states")
    state = models.CharField(max_length=20, choices=State.choices)
    installed_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=60, blank=True)
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset", "patch"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "patch"], name="patch_state_uniq"),
            models.CheckConstraint(condition=~Q(state="missing") | Q(installed_on__isnull=True),
                                   name="patch_missing_not_installed"),
        ]
        indexes = [models.Index(fields=["state", "patch"], name="patch_state_idx")]

    def __str__(self):
        return f"{self.patch_id} {self.state} on {self.asset_id}"
