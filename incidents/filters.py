"""The incident filterset: the shared ticket filters plus what is an incident's own."""

import django_filters

from incidents import hierarchy
from incidents.models import Incident
from tickets.filters import BooleanFilter, TicketFilterSet


class IncidentFilter(TicketFilterSet):
    is_major = BooleanFilter()
    parent = django_filters.CharFilter(method="filter_parent", label="Parent number")

    class Meta:
        model = Incident
        fields = []

    def filter_parent(self, queryset, name, value):
        return hierarchy.with_parent_numbered(queryset, value) if value.strip() else queryset
