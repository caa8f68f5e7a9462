"""Filters for the software lists of the API (licences and patches)."""

import django_filters
from django import forms

from assets.models import Entitlement, Installation, Patch, PatchState


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # ids are whole numbers


class EntitlementFilter(django_filters.FilterSet):
    product = WholeNumberFilter(field_name="product_id", label="The product's id")
    metric = django_filters.MultipleChoiceFilter(choices=Entitlement.Metric.choices, distinct=False)

    class Meta:
        model = Entitlement
        fields = []


class InstallationFilter(django_filters.FilterSet):
    product = WholeNumberFilter(field_name="product_id", label="The product's id")
    asset = WholeNumberFilter(field_name="asset_id", label="The asset's id")

    class Meta:
        model = Installation
        fields = []


class PatchFilter(django_filters.FilterSet):
    severity = django_filters.MultipleChoiceFilter(choices=Patch.Severity.choices, distinct=False)

    class Meta:
        model = Patch
        fields = []


class PatchStateFilter(django_filters.FilterSet):
    asset = WholeNumberFilter(field_name="asset_id", label="The asset's id")
    patch = WholeNumberFilter(field_name="patch_id", label="The patch's database id")
    state = django_filters.ChoiceFilter(choices=PatchState.State.choices)
    severity = django_filters.MultipleChoiceFilter(field_name="patch__severity", choices=Patch.Severity.choices,
                                                   distinct=False)

    class Meta:
        model = PatchState
        fields = []
