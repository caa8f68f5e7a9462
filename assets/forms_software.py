"""Desk forms for software products and their entitlements: shape only; ``assets.software`` decides."""

from django import forms

from assets.models import Contract, Entitlement


class ProductForm(forms.Form):
    vendor = forms.CharField(max_length=120)
    name = forms.CharField(max_length=200, help_text="Discovery imports find the product by vendor and name "
                                                     "(in any case): rename it as the imports spell it.")


class EntitlementForm(forms.Form):
    metric = forms.ChoiceField(choices=Entitlement.Metric.choices)
    quantity = forms.IntegerField(min_value=1, help_text="How many users, devices or cores the licences cover.")
    unit_cost = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False,
                                   help_text="Price of one licence, used to cost a shortfall or shelfware.")
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                help_text="Before it the licences do not count.")
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              help_text="Required for a subscription; after it the licences lapse.")
    reference = forms.CharField(max_length=120, required=False, help_text="Order or agreement number.")
    contract = forms.ModelChoiceField(queryset=Contract.objects.all(), required=False)

    @classmethod
    def initial_of(cls, entitlement: Entitlement) -> dict:
        return {name: getattr(entitlement, name) for name in cls.base_fields}
