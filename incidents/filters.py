"""The incident filterset: the shared ticket filters plus what is an incident's own."""

import django_filters

from incidents.models import Incident
from tickets.filters import BooleanFilter, TicketFilterSet


class IncidentFilter(TicketFilterSet):
    is_major = BooleanFilter()
    parent = django_filters.CharFilter(field_name="parent__number", lookup_expr="iexact", label="Parent number")

    class Meta:
        model = Incident
        fields = []
