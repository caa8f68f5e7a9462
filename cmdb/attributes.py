"""A CI's attributes checked against its class and the class's ancestors, on the server.

``validate(definitions, values, resolve_reference)`` returns the cleaned values (JSON-ready: decimals
as strings, dates as ``YYYY-MM-DD``, references as CI ids) or raises ``ValidationFailed`` with one
field per attribute, ``attributes.<name>``. Unknown attributes are refused, not dropped, so a typo in
an import column or an API body is reported instead of lost. ``None`` (JSON null, an empty CSV cell)
means "not set" and is left out of the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from core.exceptions import ValidationFailed

STRING_LIMIT = 1000
INTEGER_RANGE = (-(2**53) + 1, 2**53 - 1)  # what a JSON number keeps exactly
DECIMAL_DIGITS = 30
TRUE = {"true", "yes", "1", "y", "on"}
FALSE = {"false", "no", "0", "n", "off"}


def validate(definitions: Iterable, values: dict, resolve_reference: Callable[[object, object], int | None],
             *, text_input: bool = False) -> dict:
    """Clean ``values`` for the given AttributeDefinition rows.

    ``resolve_reference(definition, value)`` returns the referenced CI's id if ``value`` names a CI of an
    allowed class in this tenant, else None. ``text_input``: values come from a form or a CSV, so numbers
    and booleans may be text ("42", "yes"); from JSON they must be real numbers and booleans.
    """
    if not isinstance(values, dict):
        raise ValidationFailed("Attributes must be an object.", fields={"attributes": ["Must be an object of name: value."]})
    by_name = {definition.name: definition for definition in definitions}
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for name in values:
        if name not in by_name:
            errors[f"attributes.{name}"] = ["Not an attribute of this class."]
    for name, definition in by_name.items():
        raw = values.get(name)
        if isinstance(raw, str) and text_input:
            raw = raw.strip() or None
        if raw is None or raw == "":
            if definition.required:
                errors[f"attributes.{name}"] = ["This attribute is required."]
            continue
        try:
            cleaned[name] = _clean(definition, raw, resolve_reference, text_input)
        except ValueError as error:
            errors[f"attributes.{name}"] = [str(error)]
    if errors:
        raise ValidationFailed("Some attributes do not fit the class.", fields=errors)
    return cleaned


def _clean(definition, raw, resolve_reference, text_input):
    kind = definition.type
    if kind == "string":
        if not isinstance(raw, str):
            raise ValueError("Enter text.")
        limit = min(definition.max_length or STRING_LIMIT, STRING_LIMIT)
        if len(raw) > limit:
            raise ValueError(f"At most {limit} characters.")
        if "\x00" in raw:
            raise ValueError("Text may not contain a NUL character.")
        return raw
    if kind == "integer":
        if isinstance(raw, str) and text_input:
            try:
                raw = int(raw.replace("_", "x"))  # "1_000" is not a number a person typed
            except ValueError:
                raise ValueError("Enter a whole number.") from None
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("Enter a whole number.")
        if not INTEGER_RANGE[0] <= raw <= INTEGER_RANGE[1]:
            raise ValueError("This number is too large.")
        return raw
    if kind == "decimal":
        # Text is accepted from JSON too: decimals are stored as text (exact), and the API writes them so.
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError("Enter a number.")
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a finite number.")
        if len(number.as_tuple().digits) > DECIMAL_DIGITS:
            raise ValueError(f"At most {DECIMAL_DIGITS} digits.")
        return str(number)
    if kind == "date":
        if not isinstance(raw, str):
            raise ValueError("Enter a date as YYYY-MM-DD.")
        try:
            return date.fromisoformat(raw.strip()).isoformat() if len(raw.strip()) == 10 else _bad_date()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and text_input and raw.lower() in TRUE | FALSE:
            return raw.lower() in TRUE
        raise ValueError("Enter true or false.")
    if kind == "choice":
        if not isinstance(raw, str) or raw not in definition.choices:
            raise ValueError("Choose one of: " + ", ".join(definition.choices) + ".")
        return raw
    if kind == "reference":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise ValueError("Name a CI by its id or name.")
        ci_id = resolve_reference(definition, raw)
        if ci_id is None:
            allowed = definition.reference_class.name if definition.reference_class_id else "any class"
            raise ValueError(f"No CI {raw!r} of {allowed} in this CMDB.")
        return ci_id
    raise ValueError(f"Unknown attribute type {kind!r}.")


def _bad_date():
    raise ValueError("not YYYY-MM-DD")
