"""Filters of the CMDB API's lists. Bad values are 400 with the parameter's message (django-filter's form)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from accounts.models import AssignmentGroup
from cmdb import queries
from cmdb.models import CI, CIClass, Relationship, RelationshipType


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # ids are whole numbers


class IPFilter(django_filters.CharFilter):
    field_class = forms.GenericIPAddressField


class CIFilter(django_filters.FilterSet):
    ci_class = django_filters.ModelChoiceFilter(
        queryset=CIClass.objects.all(), to_field_name="key", method="filter_class",
        label="Class key; CIs of its descendant classes too (server: Linux and Windows servers)")
    status = django_filters.MultipleChoiceFilter(choices=CI.Status.choices, distinct=False)
    environment = django_filters.MultipleChoiceFilter(choices=CI.Environment.choices, distinct=False)
    criticality = django_filters.MultipleChoiceFilter(choices=CI.Criticality.choices, distinct=False)
    support_group = django_filters.ModelChoiceFilter(queryset=AssignmentGroup.objects.all(), label="Support group id")
    q = django_filters.CharFilter(method="filter_text", label="Words in the name, FQDN, serial number or description")
    serial_number = django_filters.CharFilter(label="Exact serial number")
    fqdn = django_filters.CharFilter(method="filter_fqdn", label="Exact FQDN (any case)")
    cloud_id = django_filters.CharFilter(label="Exact cloud id")
    ip = IPFilter(method="filter_ip", label="One of the CI's IP addresses")

    class Meta:
        model = CI
        fields = []

    def filter_class(self, queryset, name, value):
        return queryset.filter(ci_class__in=queries.descendant_ids([value.pk]))

    def filter_text(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(fqdn__icontains=word) | Q(serial_number__iexact=word)
                                       | Q(description__icontains=word))
        return queryset

    def filter_fqdn(self, queryset, name, value):
        return queryset.filter(fqdn=value.strip().lower().rstrip("."))

    def filter_ip(self, queryset, name, value):
        return queryset.filter(ip_addresses__contains=[value])


class RelationshipFilter(django_filters.FilterSet):
    ci = WholeNumberFilter(method="filter_ci", label="CI id at either end")
    source = WholeNumberFilter(field_name="source_id", label="Source CI id")
    target = WholeNumberFilter(field_name="target_id", label="Target CI id")
    type = django_filters.ModelChoiceFilter(queryset=RelationshipType.objects.all(), to_field_name="key",
                                            label="Relationship type key")

    class Meta:
        model = Relationship
        fields = []

    def filter_ci(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))
