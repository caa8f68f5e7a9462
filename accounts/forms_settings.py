"""Forms of the tenant admin's people and group pages: shape only, the services decide."""

from functools import partial

from django import forms

from accounts import time_zones
from accounts.models import User


class PersonForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Full name")
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(choices=[(User.Role.REQUESTER, "Requester"), (User.Role.AGENT, "Agent"), (User.Role.ADMIN, "Tenant admin")])
    time_zone = forms.ChoiceField(required=False, label="Time zone",
                                  choices=partial(time_zones.choices, blank_label="Tenant default"))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                               help_text="Optional. Without one the person cannot sign in until a password is set.")


class GroupForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    email = forms.EmailField(required=False, label="Group email")
    skills = forms.CharField(required=False, help_text="Comma-separated, e.g. VPN, Wi-Fi, Firewall.")
    members = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple, help_text="Agents and tenant admins.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(role__in=[User.Role.AGENT, User.Role.ADMIN], is_active=True)
