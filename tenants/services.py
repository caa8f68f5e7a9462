"""MSP-side tenant lifecycle: create (schema, domain, first admin), brand, suspend, resume."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.time_zones import validate_time_zone
from core.exceptions import ValidationFailed
from tenants.models import SLUG_VALIDATOR, Domain, Tenant

RESERVED_SLUGS = {"public", "www", "api", "admin", "static", "media", "msp", "pg_catalog", "information_schema"}


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def absolute_url(host: str | None = None, path: str = "/") -> str:
    """A link for mail and the console: SITE_URL's scheme and port on ``host`` (a tenant's domain),
    or on SITE_URL's own host (the MSP console) when none is given."""
    base = urlsplit(settings.SITE_URL)
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{host or base.hostname}{port}{path}"


def create_tenant(*, slug: str, name: str, admin_email: str, admin_name: str, admin_password: str | None,
                  time_zone: str = "UTC", validate_admin_password: bool = True, **branding) -> Tenant:
    """Create the schema (running tenant migrations), its domain and the first tenant admin.

    Everything is checked before the schema is created; if creating the admin
    fails anyway, the tenant row and schema are removed so nothing half-made remains.
    """
    errors: dict[str, list[str]] = {}
    slug = (slug or "").strip().lower()
    try:
        SLUG_VALIDATOR(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    if slug in RESERVED_SLUGS:
        errors["slug"] = [f"'{slug}' is reserved."]
    elif Tenant.objects.filter(slug=slug).exists() or Domain.objects.filter(domain=tenant_host(slug)).exists():
        errors["slug"] = [f"A tenant '{slug}' already exists."]
    if not (name or "").strip():
        errors["name"] = ["A name is required."]
    if not admin_email or "@" not in admin_email:
        errors["admin_email"] = ["A valid email address is required for the first admin."]
    if admin_password and validate_admin_password:
        try:
            validate_password(admin_password)
        except ValidationError as exc:
            errors["admin_password"] = exc.messages
    try:
        validate_time_zone(time_zone)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed("The tenant was not created.", fields=errors)

    with schema_context(get_public_schema_name()):
        tenant = Tenant(schema_name=slug, slug=slug, name=name.strip(), time_zone=time_zone, **branding)
        tenant.full_clean(exclude=["schema_name"])
        tenant.save()  # creates the schema and runs tenant migrations
        try:
            with transaction.atomic():
                Domain.objects.create(domain=tenant_host(slug), tenant=tenant, is_primary=True)
                with schema_context(tenant.schema_name):
                    from accounts.models import User

                    User.objects.create_user(admin_email, admin_password, full_name=admin_name or admin_email,
                                             role=User.Role.ADMIN)
        except Exception:
            if connection.in_atomic_block:
                # Inside an outer transaction the migrations' deferred FK checks are still
                # pending, and PostgreSQL refuses to drop tables with pending trigger events.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            tenant.delete(force_drop=True)
            raise
    return tenant


def update_branding(tenant: Tenant, **fields) -> Tenant:
    allowed = {"name", "product_name", "primary_color", "accent_color", "support_email", "logo", "time_zone",
               "reopen_window_days", "auto_close_days"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed("Unknown fields.", fields={k: ["Not editable."] for k in unknown})
    if "time_zone" in fields:
        validate_time_zone(fields["time_zone"])
    for key, value in fields.items():
        setattr(tenant, key, value)
    try:
        tenant.full_clean(exclude=["schema_name"])
    except ValidationError as exc:
        raise ValidationFailed("The tenant was not changed.", fields=exc.message_dict)
    tenant.save()
    return tenant


def suspend_tenant(tenant: Tenant, *, reason: str = "") -> Tenant:
    tenant.status = Tenant.Status.SUSPENDED
    tenant.suspended_reason = reason
    tenant.save(update_fields=["status", "suspended_reason"])
    return tenant


def resume_tenant(tenant: Tenant) -> Tenant:
    tenant.status = Tenant.Status.ACTIVE
    tenant.suspended_reason = ""
    tenant.save(update_fields=["status", "suspended_reason"])
    return tenant


def ensure_public_tenant() -> Tenant:
    """The public schema's tenant row and the MSP console's domain."""
    with schema_context(get_public_schema_name()):
        tenant, _ = Tenant.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"slug": "public", "name": "MSP console"}
        )
        for host in {settings.BASE_DOMAIN, "testserver"}:
            Domain.objects.get_or_create(domain=host, defaults={"tenant": tenant, "is_primary": host == settings.BASE_DOMAIN})
    return tenant


def current_tenant() -> Tenant | None:
    """The tenant whose schema the connection is in: the real row even inside ``schema_context``,
    which only sets a stand-in carrying the schema name."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.filter(schema_name=connection.schema_name).first()


def create_operator(*, email: str, full_name: str, password: str):
    """An MSP operator: a user of the public schema, the only kind the MSP console lets in."""
    from accounts.models import User
    from accounts.services import check_new_person

    with schema_context(get_public_schema_name()):
        email, errors = check_new_person(email=email, full_name=full_name, password=password, password_required=True)
        if errors:
            raise ValidationFailed("The operator was not created.", fields=errors)
        return User.objects.create_user(email, password, full_name=full_name.strip(), role=User.Role.OPERATOR)
