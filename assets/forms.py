"""Desk forms: they check shape; the rules (lifecycle, uniqueness, CI agreement) are the services'."""

from __future__ import annotations

from django import forms

from assets import lifecycle, queries
from assets.models import Asset, Contract
from cmdb.models import CIClass


def _date(label, **kwargs):
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           **kwargs)


def _people_field(label, help_text=""):
    return forms.ModelChoiceField(queryset=queries.assignable_users(), required=False, label=label,
                                  help_text=help_text, empty_label="Nobody")


class AssetForm(forms.Form):
    asset_tag = forms.CharField(max_length=40, required=False, label="Asset tag",
                                help_text="Leave empty for the next AST-number.")
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Asset.Kind.choices, initial=Asset.Kind.HARDWARE)
    lifecycle = forms.ChoiceField(choices=[c for c in Asset.Lifecycle.choices if c[0] != Asset.Lifecycle.DISPOSED],
                                  initial=Asset.Lifecycle.ORDERED, label="Starts as")
    manufacturer = forms.CharField(max_length=120, required=False)
    model = forms.CharField(max_length=120, required=False)
    serial_number = forms.CharField(max_length=120, required=False, label="Serial number")
    assigned_to = _people_field("Assigned to")
    location = forms.CharField(max_length=120, required=False)
    vendor = forms.CharField(max_length=120, required=False)
    order_number = forms.CharField(max_length=60, required=False, label="Order number")
    cost = forms.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)
    salvage_value = forms.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0,
                                       label="Salvage value", help_text="What it is worth at the end of its life.")
    useful_life_months = forms.IntegerField(min_value=1, max_value=1200, initial=36, label="Useful life (months)")
    purchase_date = _date("Purchase date")
    warranty_end = _date("Warranty end")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, asset: Asset | None = None, **kwargs):
        if asset is not None and not kwargs.get("data"):
            kwargs["initial"] = {name: getattr(asset, name) for name in self.base_fields
                                 if name not in {"lifecycle", "asset_tag"}} | {"version": asset.version}
        super().__init__(*args, **kwargs)
        if asset is not None:  # the tag stays; the lifecycle changes by its actions
            del self.fields["asset_tag"]
            del self.fields["lifecycle"]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if data.get("salvage_value") is None:
            data["salvage_value"] = 0
        return data


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=lifecycle.ACTION_CHOICES)
    assigned_to = _people_field("Deploy to", "Who gets it (or give a location).")
    location = forms.CharField(max_length=120, required=False)
    note = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {"note": data.get("note") or "", "version": data.get("version")}
        if data["action"] == "deploy":
            if data.get("assigned_to") is not None:
                arguments["assigned_to"] = data["assigned_to"]
            if data.get("location"):
                arguments["location"] = data["location"]
        elif data["action"] == "return_to_stock" and data.get("location"):
            arguments["location"] = data["location"]
        return arguments


class CreateCIForm(forms.Form):
    ci_class = forms.ModelChoiceField(queryset=CIClass.objects.order_by("name"), label="CI class",
                                      empty_label=None, to_field_name="key")


class LinkCIForm(forms.Form):
    ci = forms.IntegerField(min_value=1, label="CI id", help_text="The number in the CI's address (/desk/cmdb/<id>/).")


class ContractForm(forms.Form):
    kind = forms.ChoiceField(choices=Contract.Kind.choices)
    number = forms.CharField(max_length=60)
    vendor = forms.CharField(max_length=120)
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    cost = forms.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)
    renewal_notice_days = forms.IntegerField(min_value=0, max_value=3650, initial=30, label="Renewal notice (days)",
                                             help_text="The owner is mailed this many days before the end.")
    owner = _people_field("Owner", "Who is reminded; nobody: the tenant admins.")
    assets = forms.ModelMultipleChoiceField(queryset=None, required=False, help_text="The assets the contract covers.",
                                            widget=forms.SelectMultiple(attrs={"size": 8}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, contract: Contract | None = None, **kwargs):
        if contract is not None and not kwargs.get("data"):
            kwargs["initial"] = {name: getattr(contract, name) for name in self.base_fields if name != "assets"} | {
                "assets": list(contract.assets.values_list("pk", flat=True))}
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = Asset.objects.order_by("asset_tag")
