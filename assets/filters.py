"""The asset and contract filtersets, shared by the desk lists and the API."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from assets import queries
from assets.models import Asset, Contract
from tickets.filters import BooleanFilter


class DaysFilter(django_filters.NumberFilter):
    """A whole number of days from 0 to 3650: "1.5" or "-3" is a 400 naming the filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 3650)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def _within(field: str, days: int) -> Q:
    today = timezone.localdate()
    return Q(**{f"{field}__gte": today, f"{field}__lte": today + datetime.timedelta(days=days)})


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search", help_text="Part of the tag, name or serial number.")
    kind = django_filters.ChoiceFilter(choices=Asset.Kind.choices, label="Kind", empty_label="Any")
    lifecycle = django_filters.MultipleChoiceFilter(choices=Asset.Lifecycle.choices, label="Lifecycle")
    assigned_to = django_filters.ModelChoiceFilter(queryset=lambda request: queries.assignable_users(),
                                                   label="Assigned to", empty_label="Anyone")
    location = django_filters.CharFilter(field_name="location", lookup_expr="icontains", label="Location")
    warranty_ending_within = DaysFilter(method="filter_warranty", label="Warranty ends within (days)",
                                        help_text="Warranty ending from today to this many days ahead.")
    has_ci = BooleanFilter(method="filter_has_ci", label="Has a CI")

    class Meta:
        model = Asset
        fields = []

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(asset_tag__icontains=value) | Q(name__icontains=value)
                               | Q(serial_number__icontains=value))

    def filter_warranty(self, queryset, name, value):
        return queryset if value is None else queryset.filter(_within("warranty_end", int(value)))

    def filter_has_ci(self, queryset, name, value):
        return queryset if value is None else queryset.filter(ci__isnull=not value)


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search", help_text="Part of the number or vendor.")
    kind = django_filters.ChoiceFilter(choices=Contract.Kind.choices, label="Kind", empty_label="Any")
    ending_within = DaysFilter(method="filter_ending", label="Ends within (days)",
                               help_text="Ending from today to this many days ahead.")
    asset = IdFilter(field_name="assets", label="Covers asset (id)")

    class Meta:
        model = Contract
        fields = []

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(number__icontains=value) | Q(vendor__icontains=value)) if value else queryset

    def filter_ending(self, queryset, name, value):
        return queryset if value is None else queryset.filter(_within("ends_on", int(value)))
