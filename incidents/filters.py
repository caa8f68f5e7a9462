"""One FilterSet for the agent queue and the API."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.models import AssignmentGroup, User
from incidents.models import Incident
from incidents.workflow import OPEN, WORKFLOW
from sla import queries as sla_queries
from tickets.filters import BooleanFilter, InstantFilter
from tickets.models import Category, Priority

# "Breaching soon": a running SLA clock due within this window, or already past its deadline.
BREACHING_SOON = timedelta(hours=2)


class IncidentFilter(django_filters.FilterSet):
    # distinct=False: these filter plain columns; DISTINCT would sort every matching wide row.
    state = django_filters.MultipleChoiceFilter(choices=WORKFLOW.state_choices(), distinct=False)
    open = BooleanFilter(method="filter_open", label="Open only")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    assignment_group = django_filters.ModelChoiceFilter(queryset=AssignmentGroup.objects.all())
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.filter(role__in=["agent", "admin"]))
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    is_major = BooleanFilter()
    parent = django_filters.CharFilter(field_name="parent__number", lookup_expr="iexact", label="Parent number")
    mine = BooleanFilter(method="filter_mine", label="Assigned to me")
    unassigned = BooleanFilter(method="filter_unassigned", label="Unassigned")
    breaching_soon = BooleanFilter(
        method="filter_breaching_soon", label="Breaching soon",
        help_text="Open, with a running SLA clock due within 2 hours or already breached.")
    q = django_filters.CharFilter(method="filter_text", label="Search")
    opened_after = InstantFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = InstantFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = []

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(state__in=OPEN) if value else queryset.exclude(state__in=OPEN)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(assignee=user) if value and user is not None else queryset

    def filter_unassigned(self, queryset, name, value):
        return queryset.filter(assignee__isnull=True) if value else queryset

    def filter_breaching_soon(self, queryset, name, value):
        if value is None:
            return queryset
        # Paused clocks are left out: a ticket waiting on the caller is not the desk's to rescue right now.
        due = sla_queries.running_deadline_before(Incident, timezone.now() + BREACHING_SOON)
        matching = Q(state__in=OPEN, pk__in=due)
        return queryset.filter(matching) if value else queryset.exclude(matching)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("INC") and value[3:].isdigit():
            return queryset.filter(number=value.upper())
        # Numbers are stored upper-case: an exact match uses the unique index (iexact would scan).
        return queryset.filter(Q(title__icontains=value) | Q(number=value.upper()))
