"""The task filterset (queue and API): the shared ticket filters plus parent, step and overdue."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from fulfilment.models import Task
from fulfilment.services import MAX_STEP
from fulfilment.workflow import FINISHED
from tickets.filters import BooleanFilter, TicketFilterSet


class StepFilter(django_filters.NumberFilter):
    """A whole step number: "1.5" or "1e400" is a 400 naming the filter, not a rounded or failing query."""

    field_class = forms.IntegerField


class TaskFilter(TicketFilterSet):
    parent = django_filters.CharFilter(method="filter_parent", label="Task of (ticket number)",
                                       help_text="The parent's number, e.g. RITM0001001 (case-insensitive).")
    step = StepFilter(field_name="step", label="Step", min_value=1, max_value=MAX_STEP)
    overdue = BooleanFilter(method="filter_overdue", label="Overdue",
                            help_text="Unfinished tasks whose due date has passed (false: every other task).")

    class Meta:
        model = Task
        fields = []

    def filter_parent(self, queryset, name, value):
        value = (value or "").strip().upper()
        return queryset.filter(parent_number=value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(due_at__lt=timezone.now()) & ~Q(state__in=sorted(FINISHED))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
