"""Branding, suspending and resuming tenants from the MSP console."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tenants import forms as tenant_forms
from tenants.models import Tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def branding_data(**changes):
    data = {
        "name": "Alpha Ltd",
        "product_name": "Alpha Assist",
        "primary_color": "#101010",
        "accent_color": "#fafafa",
        "support_email": "support@alpha.test",
        "time_zone": "Europe/London",
        "reopen_window_days": "14",
        "auto_close_days": "5",
    }
    data.update(changes)
    return data


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def alpha():
    return Tenant.objects.get(slug="alpha")


def test_branding_form_is_prefilled_from_the_tenant(console):
    response = console.get("/tenants/alpha/branding/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["name"] == "Alpha Ltd"
    assert form.initial["primary_color"] == alpha().primary_color
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_operator_changes_branding_and_desk_defaults(console, media):
    response = console.post("/tenants/alpha/branding/", branding_data())
    assert response.status_code == 302
    tenant = alpha()
    assert (tenant.product_name, tenant.primary_color, tenant.accent_color) == ("Alpha Assist", "#101010", "#fafafa")
    assert (tenant.support_email, tenant.time_zone) == ("support@alpha.test", "Europe/London")
    assert (tenant.reopen_window_days, tenant.auto_close_days) == (14, 5)
    assert not tenant.logo
    assert Tenant.objects.get(slug="beta").product_name == ""


@pytest.mark.parametrize(("filename", "content"), [("logo.png", PNG), ("logo.GIF", GIF), ("logo.webp", WEBP), ("logo.jpg", JPEG)])
def test_logo_upload_of_an_allowed_image_is_stored_under_the_tenant(console, media, filename, content):
    data = branding_data(logo=SimpleUploadedFile(filename, content))
    response = console.post("/tenants/alpha/branding/", data)
    assert response.status_code == 302
    tenant = alpha()
    assert tenant.logo.name.startswith("tenants/alpha/branding/")
    assert (media / tenant.logo.name).read_bytes() == content


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "Upload a PNG, JPEG, GIF or WebP"),
        ("logo.html", b"<html></html>", "Upload a PNG, JPEG, GIF or WebP"),
        ("logo", PNG, "Upload a PNG, JPEG, GIF or WebP"),
        ("logo.png", b"<html>not really a png</html>", "not a valid PNG image"),
        ("logo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 8, "not a valid WEBP image"),
        ("logo.jpg", GIF, "not a valid JPG image"),
    ],
)
def test_logo_of_a_wrong_type_is_refused_and_nothing_changes(console, media, filename, content, message):
    before = alpha()
    response = console.post("/tenants/alpha/branding/", branding_data(logo=SimpleUploadedFile(filename, content)))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["logo"])
    after = alpha()
    assert after.product_name == before.product_name and not after.logo
    assert not any(media.rglob("*"))


def test_logo_over_the_size_limit_is_refused(console, media, monkeypatch):
    monkeypatch.setattr(tenant_forms, "LOGO_MAX_BYTES", 1024)
    response = console.post("/tenants/alpha/branding/", branding_data(logo=SimpleUploadedFile("big.png", PNG + b"\x00" * 2048)))
    assert response.status_code == 400
    assert "too large" in response.context["form"].errors["logo"][0]
    assert not alpha().logo


def test_logo_can_be_removed(console, media):
    console.post("/tenants/alpha/branding/", branding_data(logo=SimpleUploadedFile("logo.png", PNG)))
    assert alpha().logo
    response = console.post("/tenants/alpha/branding/", branding_data(remove_logo="on"))
    assert response.status_code == 302
    assert not alpha().logo


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"primary_color": "#12345"}, "primary_color"),
        ({"accent_color": "red"}, "accent_color"),
        ({"support_email": "support"}, "support_email"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"reopen_window_days": "-1"}, "reopen_window_days"),
        ({"auto_close_days": "0"}, "auto_close_days"),
        ({"auto_close_days": "many"}, "auto_close_days"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_branding_input_gets_a_field_error_and_changes_nothing(console, changes, field):
    before = alpha()
    response = console.post("/tenants/alpha/branding/", branding_data(**changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.content.decode()
    after = alpha()
    assert (after.name, after.product_name, after.primary_color, after.time_zone, after.auto_close_days) == (
        before.name, before.product_name, before.primary_color, before.time_zone, before.auto_close_days)


def test_unknown_or_public_tenant_is_404(console):
    assert console.get("/tenants/nosuch/branding/").status_code == 404
    assert console.get("/tenants/public/branding/").status_code == 404
    assert console.post("/tenants/public/suspend/", {"reason": "x"}).status_code == 404


def test_suspend_asks_for_confirmation_first(console):
    response = console.get("/tenants/alpha/suspend/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Suspend Alpha Ltd?" in html and 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert alpha().is_active


def test_suspend_requires_a_reason(console):
    response = console.post("/tenants/alpha/suspend/", {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert alpha().is_active


def test_operator_suspends_and_resumes_a_tenant(console):
    response = console.post("/tenants/alpha/suspend/", {"reason": "Invoice 42 unpaid"})
    assert response.status_code == 302
    tenant = alpha()
    assert (tenant.status, tenant.suspended_reason) == ("suspended", "Invoice 42 unpaid")
    assert Tenant.objects.get(slug="beta").is_active

    confirm = console.get("/tenants/alpha/resume/")
    assert confirm.status_code == 200 and "Invoice 42 unpaid" in confirm.content.decode()
    assert not alpha().is_active
    response = console.post("/tenants/alpha/resume/")
    assert response.status_code == 302
    tenant = alpha()
    assert (tenant.status, tenant.suspended_reason) == ("active", "")


def test_suspend_and_resume_refuse_posts_without_csrf_token(operator):
    client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post("/tenants/alpha/suspend/", {"reason": "forged"}).status_code == 403
    assert alpha().is_active
    from tenants.services import suspend_tenant

    suspend_tenant(alpha(), reason="real")
    assert client.post("/tenants/alpha/resume/").status_code == 403
    assert not alpha().is_active


def test_console_refuses_other_methods(console):
    assert console.put("/tenants/alpha/suspend/").status_code == 405
    assert console.post("/").status_code == 405
