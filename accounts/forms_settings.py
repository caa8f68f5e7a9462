"""Forms of the tenant admin's settings pages: shape only, the services decide."""

from functools import partial

from django import forms

from accounts import time_zones
from accounts.models import User
from tickets.models import Impact, Priority, Urgency


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


class PriorityMatrixForm(forms.Form):
    """One select per impact x urgency cell, named cell_<impact>_<urgency>."""

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[f"cell_{impact.value}_{urgency.value}"] = forms.TypedChoiceField(
                    choices=Priority.choices, coerce=int, initial=current.get((impact.value, urgency.value)),
                    label=f"Impact {impact.label}, urgency {urgency.label}",
                )

    def rows(self):
        return [
            (impact, [self[f"cell_{impact.value}_{urgency.value}"] for urgency in Urgency])
            for impact in Impact
        ]

    def cells(self) -> dict:
        return {(i.value, u.value): self.cleaned_data[f"cell_{i.value}_{u.value}"] for i in Impact for u in Urgency}
