"""The problem filterset: the shared ticket filters plus known-error and root-cause filters."""

import django_filters

from problems.models import Problem, RootCauseCategory
from tickets.filters import BooleanFilter, TicketFilterSet


class ProblemFilter(TicketFilterSet):
    known_error = BooleanFilter(method="filter_known_error", label="Published known error")
    root_cause_category = django_filters.MultipleChoiceFilter(choices=RootCauseCategory.choices, distinct=False)

    class Meta:
        model = Problem
        fields = []

    def filter_known_error(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(known_error_published_at__isnull=not value)


class KnownErrorFilter(django_filters.FilterSet):
    """The known-error list (desk and API): text search over title, symptoms and workaround; category."""

    q = django_filters.CharFilter(method="filter_text", label="Search")
    category = django_filters.NumberFilter(field_name="category_id", label="Category id")

    class Meta:
        model = Problem
        fields = []

    def filter_text(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith(Problem.NUMBER_PREFIX) and value[3:].isdigit():
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)
                               | Q(workaround__icontains=value) | Q(root_cause__icontains=value))
