"""Strict input for every API serializer: unknown fields and wrongly typed JSON values are refused.

The OpenAPI document says so too (``additionalProperties: false``, added by core.api.schema).
"""

from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import serializers

from core.api.errors import UnknownFields


def _json_type_error(field, value) -> str | None:
    """Why a JSON value has the wrong type for ``field`` (as the schema declares it), or None.

    DRF coerces ``0`` to ``"0"``, ``"1"`` to ``True`` and ``"5"`` to ``5``; the API promises JSON
    types, so a value of another type is refused instead of being guessed at.
    """
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField):
        kinds = {type(choice) for choice in field.choices if choice != ""}
        if isinstance(value, bool) or (kinds and type(value) not in kinds and not (value == "" and field.allow_blank)):
            return "Must be one of: " + ", ".join(repr(choice) for choice in field.choices) + "."
        return None
    if isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)):
        return None if isinstance(value, int) and not isinstance(value, bool) else "Must be a whole number."
    if isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "Must be a number."
    if isinstance(field, (serializers.CharField, serializers.SlugRelatedField, serializers.DateField,
                          serializers.DateTimeField, serializers.TimeField, serializers.DurationField)):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, (serializers.ListField, serializers.ListSerializer, serializers.ManyRelatedField,
                          serializers.MultipleChoiceField)):
        return None if isinstance(value, list) else "Must be a list."
    return None  # custom fields check their own input


class StrictInputMixin:
    """Refuse fields the endpoint does not take, listing them, instead of silently ignoring them;
    and, for JSON bodies, values whose JSON type is not the field's."""

    unknown_field_message = "Unknown field."
    json_types = True  # False for input read from a query string

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = set(data) - writable
            if unknown:
                raise UnknownFields(unknown, self.unknown_field_message)
            # Form and query values are all strings; their fields parse them.
            if self.json_types and not isinstance(data, QueryDict):
                wrong = {name: [message] for name, value in data.items()
                         if (message := _json_type_error(self.fields[name], value))}
                if wrong:
                    raise serializers.ValidationError(wrong)
            # PATCH leaves out what it does not change; but a nested item (a holiday, a target)
            # replaces the old list whole, so it must be complete even then.
            if self.parent is not None and getattr(self.root, "partial", False):
                missing = {name: [field.error_messages["required"]] for name, field in self.fields.items()
                           if field.required and not field.read_only and name not in data}
                if missing:
                    raise serializers.ValidationError(missing)
        return super().to_internal_value(data)
