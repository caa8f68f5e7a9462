"""MSP console forms: they check the shape of the input; tenants.services enforces the rules."""

from django import forms
from django.conf import settings

from accounts import time_zones
from core import filetypes
from tenants.models import COLOR_VALIDATOR, SLUG_VALIDATOR

# The image formats a logo may have; the content must match the extension (core.filetypes checks).
LOGO_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
LOGO_MAX_BYTES = getattr(settings, "TENANT_LOGO_MAX_BYTES", 512 * 1024)


class ColorInput(forms.TextInput):
    input_type = "color"


def color_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=7, validators=[COLOR_VALIDATOR], widget=ColorInput)


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=time_zones.choices, initial="UTC", **kwargs)


class TenantCreateForm(forms.Form):
    slug = forms.CharField(
        max_length=30, validators=[SLUG_VALIDATOR],
        help_text="Becomes the host name (<slug>.%s) and the database schema; cannot be changed later." % settings.BASE_DOMAIN,
    )
    name = forms.CharField(max_length=200, label="Organisation name")
    time_zone = TimeZoneField(label="Time zone")
    admin_email = forms.EmailField(label="First admin's email")
    admin_name = forms.CharField(max_length=200, label="First admin's name")
    admin_password = forms.CharField(
        label="First admin's password", strip=False, widget=forms.PasswordInput(render_value=False),
        help_text="At least 10 characters; not a common password.",
    )
    product_name = forms.CharField(max_length=100, required=False, help_text="Empty: '<name> Service Desk'.")
    primary_color = color_field("Primary colour")
    accent_color = color_field("Accent colour")
    support_email = forms.EmailField(required=False, label="Support email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["primary_color"].initial = "#1f4e8c"
        self.fields["accent_color"].initial = "#e8833a"

    def clean_slug(self):
        return self.cleaned_data["slug"].strip().lower()


class BrandingForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")
    product_name = forms.CharField(max_length=100, required=False, help_text="Empty: '<name> Service Desk'.")
    primary_color = color_field("Primary colour")
    accent_color = color_field("Accent colour")
    support_email = forms.EmailField(required=False, label="Support email")
    logo = forms.FileField(
        required=False,
        help_text=f"PNG, JPEG, GIF or WebP, at most {LOGO_MAX_BYTES // 1024} KB.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    time_zone = TimeZoneField(label="Time zone")
    reopen_window_days = forms.IntegerField(
        min_value=0, max_value=365, label="Reopen window (days)",
        help_text="Requesters may reopen a resolved incident within this many days.",
    )
    auto_close_days = forms.IntegerField(
        min_value=1, max_value=365, label="Auto-close after (days)",
        help_text="Resolved incidents close on their own after this many days.",
    )

    FIELDS = ("name", "product_name", "primary_color", "accent_color", "support_email", "time_zone",
              "reopen_window_days", "auto_close_days")

    @classmethod
    def for_tenant(cls, tenant, *args, **kwargs):
        return cls(*args, initial={name: getattr(tenant, name) for name in cls.FIELDS}, **kwargs)

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo:
            return None
        extension = logo.name.rsplit(".", 1)[-1].lower() if "." in logo.name else ""
        if extension not in LOGO_EXTENSIONS:
            raise forms.ValidationError("Upload a PNG, JPEG, GIF or WebP image.")
        if logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(f"The logo is too large ({logo.size // 1024} KB); the limit is {LOGO_MAX_BYTES // 1024} KB.")
        try:
            filetypes.check(logo, extension)
        except filetypes.ContentMismatch:
            raise forms.ValidationError(f"The file is not a valid {extension.upper()} image.")
        return logo

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error("remove_logo", "Either upload a new logo or remove the current one, not both.")
        return cleaned

    def changes(self) -> dict:
        """Only the fields to write; the logo only when a new one was uploaded or it was removed."""
        changes = {name: self.cleaned_data[name] for name in self.FIELDS}
        if self.cleaned_data.get("logo"):
            changes["logo"] = self.cleaned_data["logo"]
        elif self.cleaned_data.get("remove_logo"):
            changes["logo"] = ""
        return changes


class SuspendForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept for the MSP's records; the tenant's users see a general suspension notice.",
    )
