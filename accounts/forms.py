
from functools import partial

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import ratelimit, time_zones


class RateLimitedLoginForm(AuthenticationForm):
    """Email + password login that refuses further guesses once the tenant's limit is reached."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an account here.",
        "rate_limited": "Too many attempts, try again in %(wait)s.",
    }
    retry_after = 0  # seconds, when the last clean() was refused by the rate limit

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = email
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = ratelimit.authenticate(self.request, email, password)
            except ratelimit.RateLimited as limited:
                self.retry_after = limited.wait
                raise ValidationError(self.error_messages["rate_limited"], code="rate_limited",
                                      params={"wait": limited.wait_text}) from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(choices=partial(time_zones.choices, blank_label="Organisation default"), required=False, label="Time zone",
                                  help_text="Times in the desk and the portal are shown in this zone.")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What will use it, e.g. “Monitoring integration”.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the token a name.")
        return name
