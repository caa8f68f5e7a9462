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

from datetime import datetime, timezone as dt_timezone

import django_filters
from django import forms
from django.core.exceptions import ValidationError

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
