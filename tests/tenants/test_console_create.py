"""Creating a tenant from the MSP console: all of it, or nothing."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant

VALID = {
    "slug": "gamma",
    "name": "Gamma GmbH",
    "time_zone": "Europe/Berlin",
    "admin_email": "Admin@Gamma.test",
    "admin_name": "Greta Admin",
    "admin_password": "a-long and unusual passphrase",
    "product_name": "Gamma Help",
    "primary_color": "#123456",
    "accent_color": "#abcdef",
    "support_email": "help@gamma.test",
}


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def assert_nothing_created(slug="gamma"):
    connection.set_schema_to_public()
    assert not Tenant.objects.filter(slug=slug).exists()
    assert not Domain.objects.filter(domain=f"{slug}.localhost").exists()
    assert not schema_exists(slug)


def test_create_form_renders_with_labelled_fields(console):
    response = console.get("/tenants/new/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("slug", "name", "time_zone", "admin_email", "admin_name", "admin_password", "primary_color"):
        assert f'for="id_{field}"' in html
    assert '<option value="Europe/Berlin">' in html


def test_operator_creates_tenant_with_schema_domain_admin_and_branding(console):
    response = console.post("/tenants/new/", VALID)
    assert response.status_code == 302
    assert response["Location"] == "/"
    connection.set_schema_to_public()
    gamma = Tenant.objects.get(slug="gamma")
    assert (gamma.name, gamma.time_zone, gamma.product_name) == ("Gamma GmbH", "Europe/Berlin", "Gamma Help")
    assert (gamma.primary_color, gamma.accent_color, gamma.support_email) == ("#123456", "#abcdef", "help@gamma.test")
    assert gamma.is_active
    assert Domain.objects.get(tenant=gamma).domain == "gamma.localhost"
    assert schema_exists("gamma")
    with schema_context("gamma"):
        from accounts.models import User

        admin = User.objects.get()
        assert (admin.email, admin.full_name, admin.role) == ("admin@gamma.test", "Greta Admin", User.Role.ADMIN)
        assert admin.check_password(VALID["admin_password"])
    follow = console.get("/")
    assert "Tenant Gamma GmbH created at gamma.localhost." in follow.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "Gamma!"}, "slug", "Use 2-30 lower-case letters"),
        ({"slug": "9lives"}, "slug", "Use 2-30 lower-case letters"),
        ({"slug": "www"}, "slug", "is reserved"),
        ({"slug": "alpha"}, "slug", "already exists"),
        ({"name": ""}, "name", "This field is required"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        ({"admin_email": "not-an-email"}, "admin_email", "Enter a valid email address"),
        ({"admin_password": "password"}, "admin_password", "too common"),
        ({"admin_password": "short1"}, "admin_password", "too short"),
        ({"primary_color": "blue"}, "primary_color", "Use a hex colour"),
        ({"support_email": "nope"}, "support_email", "Enter a valid email address"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_creates_nothing(console, changes, field, message):
    slug = changes.get("slug", "gamma")
    before = Tenant.objects.count()
    response = console.post("/tenants/new/", {**VALID, **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert f'id="id_{field}_error"' in response.content.decode()
    connection.set_schema_to_public()
    assert Tenant.objects.count() == before
    if slug not in {"alpha", "www"}:
        assert_nothing_created(slug.lower())


def test_a_failure_after_the_schema_exists_leaves_nothing_behind(console, monkeypatch):
    from accounts.models import UserManager

    def broken_create_user(self, *args, **kwargs):
        raise RuntimeError("mail server for welcome message exploded")

    monkeypatch.setattr(UserManager, "create_user", broken_create_user)
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.cookies = console.cookies
    response = client.post("/tenants/new/", VALID)
    assert response.status_code == 500
    assert_nothing_created()


def test_get_does_not_create_and_post_requires_csrf(operator):
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post("/tenants/new/", VALID)
    assert response.status_code == 403
    assert_nothing_created()
