"""Filter types shared by the ticket filtersets (the desk queue and the API read the same ones).

Both exist because django-filter's own would let bad input through to a 500 or be ignored:

- ``InstantFilter``: RFC 3339 admits UTC offsets up to ±23:59, and Python represents them, but
  PostgreSQL refuses a timestamptz literal beyond ±15:59 ("time zone displacement out of range").
  Caller-supplied instants are turned into UTC (``in_utc``) before they reach a query; one whose
  UTC value falls outside years 1-9999 (0001-01-01T00:00:00+01:00) cannot be represented and is
  refused with a message for its field.
- ``BooleanFilter``: django-filter reads anything but true/false as "no filter", so
  ``?unassigned=maybe`` silently listed everything; here it is refused.
"""

import copy
from datetime import datetime, timezone as dt_timezone

import django_filters
from django_filters.filters import FilterMethod
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import AssignmentGroup, User
from tickets.models import Category, Priority

OUT_OF_RANGE = "Out of range: in UTC this instant is before year 1 or after year 9999."


def in_utc(moment: datetime) -> datetime:
    """``moment`` (aware) in UTC; ValueError with a message for the caller when it has no UTC value."""
    try:
        return moment.astimezone(dt_timezone.utc)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


class InstantFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        try:
            return in_utc(moment)
        except ValueError as exc:
            raise ValidationError(str(exc), code="out_of_range") from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time filter that compares in UTC."""

    field_class = InstantFormField


class StrictBooleanField(forms.NullBooleanField):
    """"true" or "false" (any case); empty means unset; anything else is an error."""

    # NullBooleanField's select widget turns every unknown value into None before we see it.
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValidationError("Use true or false.", code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


MAX_ID = 2**63 - 1  # ids are bigints


class IdChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` that checks an id's form, not its existence.

    Filtering by a well-formed id that names nothing lists nothing, without the query the model field makes
    on every request to look the object up (the API list is on the hot path). The desk still gets the
    queryset's choices for its select.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return int(text)

    def validate(self, value):
        # ChoiceField.validate would look the id up among the choices: the query this field exists to skip.
        forms.Field.validate(self, value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """An id filter; its help text (the OpenAPI description) says what an id that names nothing does."""

    field_class = IdChoiceField

    def __init__(self, *args, noun: str = "", **kwargs):
        kwargs.setdefault("help_text", f"The {noun}'s id. A well-formed id that names no {noun} lists nothing "
                                       "(an empty page, not an error); a malformed one is a 400.")
        super().__init__(*args, **kwargs)


class _CopiedShallow(dict):
    """A filterset's filters, copied one level deep when django-filter deep-copies them per instance.

    django-filter gives each FilterSet instance its own filters (it sets ``parent`` and ``model`` on
    them) with ``copy.deepcopy``, which also deep-copies every filter's querysets and choices: about a
    tenth of an API list request's CPU. A shallow copy of each filter is enough for what an instance
    sets; a method filter is re-bound to its copy (its ``FilterMethod`` names the filter it serves).
    """

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copied = copy.copy(filter_)
            if isinstance(getattr(filter_, "filter", None), FilterMethod):
                copied.method = filter_.method
            copies[name] = copied
        return copies


class TicketFilterSet(django_filters.FilterSet):
    """What every ticket type's queue and API can filter on; a type subclasses it and sets ``Meta.model``.

    ``state`` takes its choices from the model's workflow; ``open`` uses the workflow's open states.
    Extensions (SLA's "breaching soon") add their filters at registration (tickets.extensions).
    """

    # distinct=False: these filter plain columns; DISTINCT would sort every matching wide row.
    state = django_filters.MultipleChoiceFilter(choices=(), distinct=False)
    open = BooleanFilter(method="filter_open", label="Open only")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    assignment_group = IdChoiceFilter(queryset=AssignmentGroup.objects.all(), noun="assignment group")
    assignee = IdChoiceFilter(queryset=User.objects.filter(role__in=["agent", "admin"]), noun="agent")
    requester = IdChoiceFilter(queryset=User.objects.all(), noun="requester")
    category = IdChoiceFilter(queryset=Category.objects.all(), noun="category")
    watcher = django_filters.NumberFilter(method="filter_watcher", label="Watched by (user id)")
    mine = BooleanFilter(method="filter_mine", label="Assigned to me")
    unassigned = BooleanFilter(method="filter_unassigned", label="Unassigned")
    q = django_filters.CharFilter(method="filter_text", label="Search")
    opened_after = InstantFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = InstantFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = None
        fields = []

    @classmethod
    def bind_workflow(cls):
        """Give ``state`` the choices of this type's workflow (tickets.types.register calls it).

        A copy per subclass: declared filters are shared objects between a FilterSet and its subclasses.
        """
        state = copy.deepcopy(cls.base_filters["state"])
        state.extra["choices"] = cls._meta.model.workflow.state_choices()
        cls.base_filters["state"] = cls.declared_filters["state"] = state

    def __init__(self, *args, **kwargs):
        self.base_filters = _CopiedShallow(type(self).base_filters)
        super().__init__(*args, **kwargs)
        self.open_states = sorted(self._meta.model.workflow.open_states)

    def get_form_class(self):
        """The form class, built once per filterset class and set of filters instead of on every request.

        django-filter builds a new form class (labels, fields) per instance; each form instance still
        deep-copies its fields (Django's forms), so nothing one request changes reaches another. A filter
        whose queryset depends on the request (a callable) gets a form class of its own each time.
        """
        if any(callable(getattr(filter_, "queryset", None)) for filter_ in self.base_filters.values()):
            return super().get_form_class()
        key = tuple((name, id(filter_)) for name, filter_ in self.base_filters.items())
        cached = type(self).__dict__.get("_form_class_cache")
        if cached is None or cached[0] != key:
            cached = (key, super().get_form_class())
            type(self)._form_class_cache = cached
        return cached[1]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return (queryset.filter(state__in_constants=self.open_states) if value
                else queryset.exclude(state__in_constants=self.open_states))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(assignee=user) if value and user is not None else queryset

    def filter_unassigned(self, queryset, name, value):
        return queryset.filter(assignee__isnull=True) if value else queryset

    def filter_watcher(self, queryset, name, value):
        return queryset.filter(watchers=value).distinct() if value is not None else queryset

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        prefix = self._meta.model.NUMBER_PREFIX
        if value.upper().startswith(prefix) and value[len(prefix):].isdigit():
            return queryset.filter(number=value.upper())
        # Numbers are stored upper-case: an exact match uses the unique index (iexact would scan).
        return queryset.filter(Q(title__icontains=value) | Q(number=value.upper()))
