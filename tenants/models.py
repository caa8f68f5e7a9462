import uuid

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9]{1,29}$",
    "Use 2-30 lower-case letters and digits, starting with a letter (it becomes the host name and schema).",
)
COLOR_VALIDATOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #1f6feb.")


class TenancyQuerySet(models.QuerySet):
    """Tenant and Domain writes that send no signal still drop the cached host lookups
    (tenants.host_cache): a status set by ``update()`` must take effect with the next request."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows:
            _tenancy_changed()
        return rows

    def bulk_update(self, objs, fields, batch_size=None):
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        if rows:
            _tenancy_changed()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            _tenancy_changed()  # a new domain ends that host's cached "unknown"
        return created


def _tenancy_changed() -> None:
    from tenants import host_cache

    host_cache.changed()


def logo_upload_to(instance, filename):
    # Stored paths carry the tenant explicitly, even for public-schema files.
    return f"tenants/{instance.schema_name}/branding/{filename}"


class Tenant(TenantMixin):
    """A client organisation; its data lives in its own PostgreSQL schema (schema_name = slug)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    slug = models.CharField(max_length=30, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # Requesters may reopen a resolved incident by replying within this many days.
    reopen_window_days = models.PositiveSmallIntegerField(default=7)
    # Resolved incidents close on their own after this many days.
    auto_close_days = models.PositiveSmallIntegerField(default=7)

    # Branding: rendered by the agent desk and the portal through CSS variables.
    product_name = models.CharField(max_length=100, blank=True)
    logo = models.FileField(upload_to=logo_upload_to, blank=True)
    primary_color = models.CharField(max_length=7, default="#1f4e8c", validators=[COLOR_VALIDATOR])
    accent_color = models.CharField(max_length=7, default="#e8833a", validators=[COLOR_VALIDATOR])
    support_email = models.EmailField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    # A new value whenever configuration that hot paths cache changes (tenants.config_cache).
    config_version = models.UUIDField(default=uuid.uuid4, editable=False)

    auto_create_schema = True
    auto_drop_schema = False

    objects = TenancyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_public(self) -> bool:
        from django_tenants.utils import get_public_schema_name

        return self.schema_name == get_public_schema_name()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def display_product_name(self) -> str:
        return self.product_name or f"{self.name} Service Desk"

    @property
    def primary_domain(self) -> str | None:
        domain = self.domains.filter(is_primary=True).first()
        return domain.domain if domain else None


class Domain(DomainMixin):
    objects = TenancyQuerySet.as_manager()
