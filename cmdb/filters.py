"""The CI list's filters (django-filter), shared by the desk list and anything else that lists CIs."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q
from django.db.models.functions import Lower

from accounts.models import AssignmentGroup
from cmdb import queries
from cmdb.models import CI, CIClass


# Sort keys the list offers: query value -> order_by fields.
SORTS = {
    "name": (Lower("name"), "id"), "-name": (Lower("name").desc(), "-id"),
    "class": ("ci_class__name", Lower("name"), "id"), "-class": ("-ci_class__name", Lower("name"), "id"),
    "status": ("status", Lower("name"), "id"), "-status": ("-status", Lower("name"), "id"),
    "criticality": ("criticality", Lower("name"), "id"), "-criticality": ("-criticality", Lower("name"), "id"),
    "seen": (F("last_seen_at").asc(nulls_first=True), "id"), "-seen": (F("last_seen_at").desc(nulls_last=True), "-id"),
    "updated": ("updated_at", "id"), "-updated": ("-updated_at", "-id"),
}
SORT_LABELS = {"name": "Name", "class": "Class", "status": "Status", "criticality": "Criticality",
               "-seen": "Last seen", "-updated": "Recently updated"}


def ordered(queryset, sort: str):
    """The list in the order ``sort`` names (unknown: by name); the id keeps pages stable."""
    return queryset.order_by(*SORTS.get(sort, SORTS["name"]))


class CIFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    ci_class = django_filters.ModelChoiceFilter(queryset=CIClass.objects.all(), method="in_class", label="Class")
    status = django_filters.ChoiceFilter(choices=CI.Status.choices)
    environment = django_filters.ChoiceFilter(choices=CI.Environment.choices)
    criticality = django_filters.TypedChoiceFilter(choices=CI.Criticality.choices, coerce=int)
    support_group = django_filters.ModelChoiceFilter(queryset=AssignmentGroup.objects.all())

    class Meta:
        model = CI
        fields = ["q", "ci_class", "status", "environment", "criticality", "support_group"]

    def search(self, queryset, name, value):
        """Words in the name, FQDN or serial number, or an exact IP address."""
        value = value.strip()
        if not value:
            return queryset
        condition = Q(name__icontains=value) | Q(fqdn__icontains=value.lower()) | Q(serial_number__iexact=value)
        if _looks_like_ip(value):
            condition |= Q(ip_addresses__contains=[value])
        return queryset.filter(condition)

    def in_class(self, queryset, name, value):
        """A class means the class and every class below it (Server lists Linux servers too)."""
        return queryset.filter(ci_class__in=queries.descendant_ids([value.pk])) if value else queryset


def _looks_like_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
