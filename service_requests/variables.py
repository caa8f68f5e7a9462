"""A catalogue item's form: typed variables, validated on the server, published as JSON Schema.

Pure: no database, no Django models. The portal, the API and the desk all call ``validate`` with the
item's definitions and what was submitted, so the browser is never trusted; ``json_schema`` describes
exactly the same rules (draft 2020-12) for integrators who render their own forms.

Rules both sides share (tests/service_requests/test_variables_schema.py checks they agree):

- A value of ``None`` (JSON null) means "not given". A required variable must be given (text: at
  least one character; multi-choice: at least one choice; checkbox: ticked).
- A variable whose show-when conditions do not hold is hidden: submitting it at all (even null) is
  refused, never silently dropped. Conditions read the *submitted* values (a missing one is not set),
  and all conditions of a variable must hold.
- Unknown variables are refused. Numbers are JSON numbers (not text, not booleans); dates are
  ``YYYY-MM-DD``; a user is a user id or an email address (the caller resolves it in the tenant).
- Regexes are searched anywhere in the value (as JSON Schema's ``pattern``): anchor them with ^ and $.
- Attachments are files uploaded with the order, never part of the JSON values; their schema property
  forbids a JSON value.

Errors are ``ValidationFailed`` with one field per variable: ``variables.<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from core.exceptions import ValidationFailed

TEXT, TEXTAREA, NUMBER, DATE, CHOICE, MULTI_CHOICE, CHECKBOX, USER, ATTACHMENT = (
    "text", "textarea", "number", "date", "choice", "multi_choice", "checkbox", "user", "attachment")
TYPES = {
    TEXT: "Single line text",
    TEXTAREA: "Multi-line text",
    NUMBER: "Number",
    DATE: "Date",
    CHOICE: "Choice",
    MULTI_CHOICE: "Multiple choice",
    CHECKBOX: "Checkbox",
    USER: "Person (a user of this organisation)",
    ATTACHMENT: "Attachment (a file uploaded with the order)",
}
EQ, NE, IN, IS_SET = "eq", "ne", "in", "is_set"
OPS = {EQ: "equals", NE: "does not equal", IN: "is one of", IS_SET: "is filled in"}
# Which operators a controlling variable's type supports.
OPS_BY_TYPE = {
    TEXT: {EQ, NE, IN, IS_SET}, TEXTAREA: {IS_SET}, NUMBER: {EQ, NE, IN, IS_SET}, DATE: {EQ, NE, IS_SET},
    CHOICE: {EQ, NE, IN, IS_SET}, MULTI_CHOICE: {IN, IS_SET}, CHECKBOX: {EQ, NE, IS_SET}, USER: {IS_SET},
    ATTACHMENT: set(),
}
# Longest text accepted whatever the definition says (a definition may set a lower max_length).
TEXT_LIMITS = {TEXT: 255, TEXTAREA: 10_000}
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,49}", re.ASCII)
EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+$"
_EMAIL = re.compile(EMAIL_PATTERN)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# What text may not contain: line breaks in a single line; NUL anywhere (PostgreSQL cannot store it).
LINE_BREAK = r"[\r\n\x00]"
NUL = r"\x00"


@dataclass(frozen=True)
class Condition:
    variable: str
    op: str
    value: object = None


@dataclass(frozen=True)
class Variable:
    """One variable of an item's form. ``min_value``/``max_value``: numbers, or ISO dates for a date."""

    name: str
    type: str
    label: str = ""
    required: bool = False
    help_text: str = ""
    default: object = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    regex: str = ""
    min_value: object = None
    max_value: object = None
    min_length: int | None = None
    max_length: int | None = None
    show_when: tuple[Condition, ...] = ()
    order: int = 0

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def choice_values(self) -> list[str]:
        return [value for value, _ in self.choices]


def field_name(name: str) -> str:
    return f"variables.{name}"


# -- reading values ----------------------------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _equal(a, b) -> bool:
    """JSON equality: a boolean is never a number, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def is_set(value) -> bool:
    return not (value is None or value is False or value == "" or value == [])


def holds(condition: Condition, values: dict) -> bool:
    value = values.get(condition.variable)
    if condition.op == IS_SET:
        return is_set(value)
    if condition.op == EQ:
        return value is not None and _equal(value, condition.value)
    if condition.op == NE:
        return not (value is not None and _equal(value, condition.value))
    if condition.op == IN:
        options = condition.value or []
        if isinstance(value, list):  # a multi-choice: any of its choices among the options
            return any(any(_equal(v, o) for o in options) for v in value)
        return value is not None and any(_equal(value, o) for o in options)
    return False


def is_shown(variable: Variable, values: dict) -> bool:
    return all(holds(condition, values) for condition in variable.show_when)


def parse_date(value) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_bound(variable: Variable, value):
    """A min/max bound as the variable's type compares it: a number or a date; ValueError if unreadable."""
    if value is None or value == "":
        return None
    if variable.type == DATE:
        parsed = value if isinstance(value, date) else parse_date(value)
        if parsed is None:
            raise ValueError("Give a date as YYYY-MM-DD.")
        return parsed
    if _is_number(value):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("Give a number.") from None
    if not number.is_finite():
        raise ValueError("Give a number.")
    return int(number) if number == number.to_integral_value() else float(number)


# -- validating one value -----------------------------------------------------------------------------

def _check_value(variable: Variable, value) -> tuple[object, list[str]]:
    """(cleaned value, errors) for a given (not None) value of ``variable``."""
    kind = variable.type
    errors: list[str] = []
    if kind in (TEXT, TEXTAREA):
        if not isinstance(value, str):
            return value, ["Enter text."]
        if re.search(NUL, value):
            errors.append("Enter text without NUL characters.")
        elif kind == TEXT and re.search(LINE_BREAK, value):
            errors.append("Enter a single line (no line breaks).")
        limit = min(filter(None, [variable.max_length, TEXT_LIMITS[kind]]))
        if variable.required and value == "":
            errors.append("This field is required.")
        elif variable.min_length and len(value) < variable.min_length:
            errors.append(f"Enter at least {variable.min_length} characters.")
        if len(value) > limit:
            errors.append(f"Enter at most {limit} characters.")
        if variable.regex and not re.search(variable.regex, value):
            errors.append("Enter a value in the expected format.")
        return value, errors
    if kind == NUMBER:
        if not _is_number(value):
            return value, ["Enter a number."]
        low, high = parse_bound(variable, variable.min_value), parse_bound(variable, variable.max_value)
        if low is not None and value < low:
            errors.append(f"Enter a number of at least {low}.")
        if high is not None and value > high:
            errors.append(f"Enter a number of at most {high}.")
        return value, errors
    if kind == DATE:
        parsed = parse_date(value)
        if parsed is None:
            return value, ["Enter a date as YYYY-MM-DD."]
        low, high = parse_bound(variable, variable.min_value), parse_bound(variable, variable.max_value)
        if low is not None and parsed < low:
            errors.append(f"Enter a date on or after {low.isoformat()}.")
        if high is not None and parsed > high:
            errors.append(f"Enter a date on or before {high.isoformat()}.")
        return value, errors
    if kind == CHOICE:
        if not isinstance(value, str) or value not in variable.choice_values:
            return value, [f"Choose one of: {', '.join(variable.choice_values)}."]
        return value, errors
    if kind == MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return value, ["Choose a list of options."]
        unknown = [v for v in value if v not in variable.choice_values]
        if unknown:
            errors.append(f"Not an option: {', '.join(unknown)}. Choose from: {', '.join(variable.choice_values)}.")
        if len(set(value)) != len(value):
            errors.append("Choose each option once.")
        if variable.required and not value:
            errors.append("Choose at least one option.")
        return value, errors
    if kind == CHECKBOX:
        if not isinstance(value, bool):
            return value, ["Give true or false."]
        if variable.required and value is not True:
            errors.append("This box must be ticked.")
        return value, errors
    if kind == USER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value, [] if value >= 1 else ["Give a user id or an email address."]
        if isinstance(value, str) and _EMAIL.search(value):
            return value, []
        return value, ["Give a user id or an email address."]
    if kind == ATTACHMENT:
        return value, ["Upload the file with the order; it is not accepted as a JSON value."]
    return value, [f"Unknown variable type {kind!r}."]


def validate(definitions, submitted, *, files=None, resolve_user=None) -> dict:
    """The cleaned values of ``submitted`` (a dict of name -> JSON value) against ``definitions``.

    ``files``: {variable name: uploaded file} for attachment variables (checked for presence here; the
    caller checks their content). ``resolve_user(ref) -> (id, None) | (None, message)`` turns a user
    reference (id or email) into the user's id in the tenant; without it, only the shape is checked.
    Raises ``ValidationFailed`` with ``variables.<name>`` fields; returns {name: value} for the shown
    variables that have a value (checkboxes always, False when not ticked; files by their name).
    """
    definitions = sorted(definitions, key=lambda v: (v.order, v.name))
    files = dict(files or {})
    if not isinstance(submitted, dict):
        raise ValidationFailed("The variables must be an object of name -> value.",
                               fields={"variables": ["Give an object of variable name -> value."]})
    by_name = {variable.name: variable for variable in definitions}
    errors: dict[str, list[str]] = {}
    for name in sorted(set(submitted) - set(by_name)):
        errors[field_name(name)] = ["Unknown variable."]
    for name in sorted(set(files) - {v.name for v in definitions if v.type == ATTACHMENT}):
        errors[field_name(name)] = ["This variable takes no file."]
    cleaned: dict = {}
    for variable in definitions:
        key = field_name(variable.name)
        present = variable.name in submitted
        value = submitted.get(variable.name)
        upload = files.get(variable.name)
        if not is_shown(variable, submitted):
            if present or upload is not None:
                errors[key] = ["Not asked for with these answers: leave it out."]
            continue
        if variable.type == ATTACHMENT:
            if present:
                errors[key] = [f"{variable.title}: upload the file with the order (multipart); "
                               "it is not accepted as a JSON value."]
            elif upload is not None:
                cleaned[variable.name] = upload
            elif variable.required:
                errors[key] = ["Attach a file."]
            continue
        if value is None:
            if variable.required:
                errors[key] = ["This field is required."]
            elif variable.type == CHECKBOX:
                cleaned[variable.name] = False
            continue
        value, problems = _check_value(variable, value)
        if not problems and variable.type == USER and resolve_user is not None:
            value, problem = resolve_user(value)
            problems = [problem] if problem else []
        if problems:
            errors[key] = problems
        else:
            cleaned[variable.name] = value
    if errors:
        raise ValidationFailed("Some answers need attention.", fields=errors)
    return cleaned


# -- validating definitions ----------------------------------------------------------------------------

def definition_errors(variable: Variable, others) -> dict[str, list[str]]:
    """What is wrong with ``variable`` among the item's ``others`` (its other variables), by attribute."""
    errors: dict[str, list[str]] = {}

    def add(attribute, message):
        errors.setdefault(attribute, []).append(message)

    others = [other for other in others if other.name != variable.name]
    by_name = {other.name: other for other in others}
    if not NAME_PATTERN.fullmatch(variable.name or ""):
        add("name", "Use 1-50 lower-case letters, digits and underscores, starting with a letter.")
    if variable.type not in TYPES:
        add("type", f"Unknown type {variable.type!r}.")
        return errors
    if variable.type in (CHOICE, MULTI_CHOICE):
        values = variable.choice_values
        if not values:
            add("choices", "A choice needs at least one option.")
        if len(set(values)) != len(values):
            add("choices", "Each option's value must be unique.")
        if any(not isinstance(value, str) or not value for value in values):
            add("choices", "Every option needs a value.")
    elif variable.choices:
        add("choices", "Only choice variables have options.")
    if variable.regex:
        if variable.type not in (TEXT, TEXTAREA):
            add("regex", "Only text variables take a pattern.")
        else:
            try:
                re.compile(variable.regex)
            except re.error as exc:
                add("regex", f"The pattern does not compile: {exc}.")
    bounds = {}
    for attribute in ("min_value", "max_value"):
        raw = getattr(variable, attribute)
        if raw is None or raw == "":
            continue
        if variable.type not in (NUMBER, DATE):
            add(attribute, "Only numbers and dates take a minimum or maximum.")
            continue
        try:
            bounds[attribute] = parse_bound(variable, raw)
        except ValueError as exc:
            add(attribute, str(exc))
    if len(bounds) == 2 and bounds["min_value"] > bounds["max_value"]:
        add("max_value", "The maximum is below the minimum.")
    for attribute in ("min_length", "max_length"):
        raw = getattr(variable, attribute)
        if raw is None:
            continue
        if variable.type not in (TEXT, TEXTAREA):
            add(attribute, "Only text variables take a length.")
        elif not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            add(attribute, "Give a whole number of characters, 0 or more.")
    if (variable.type in (TEXT, TEXTAREA) and isinstance(variable.min_length, int)
            and isinstance(variable.max_length, int) and variable.min_length > variable.max_length):
        add("max_length", "The maximum length is below the minimum length.")
    for condition in variable.show_when:
        if condition.variable == variable.name:
            add("show_when", "A variable cannot depend on itself.")
            continue
        controller = by_name.get(condition.variable)
        if controller is None:
            add("show_when", f"No variable named {condition.variable!r} on this item.")
            continue
        if condition.op not in OPS:
            add("show_when", f"Unknown operator {condition.op!r}.")
        elif condition.op not in OPS_BY_TYPE[controller.type]:
            allowed = ", ".join(sorted(OPS_BY_TYPE[controller.type])) or "none"
            add("show_when", f"{controller.title} ({TYPES[controller.type].lower()}) supports: {allowed}.")
        else:
            problem = _condition_value_problem(controller, condition)
            if problem:
                add("show_when", problem)
    if variable.show_when and "show_when" not in errors:
        cycle = _cycle_through(variable, by_name)
        if cycle:
            add("show_when", "These conditions go round in a circle: " + " -> ".join(cycle) + ".")
    if variable.default is not None and variable.default != "" and not errors:
        if variable.type == ATTACHMENT:
            add("default", "An attachment has no default.")
        else:
            _, problems = _check_value(variable, variable.default)
            for problem in problems:
                add("default", f"The default breaks its own rules: {problem}")
    return errors


def _condition_value_problem(controller: Variable, condition: Condition) -> str:
    if condition.op == IS_SET:
        return "" if condition.value in (None, "", True) else "'is filled in' takes no value."
    values = condition.value if condition.op == IN else [condition.value]
    if condition.op == IN and (not isinstance(values, list) or not values):
        return "'is one of' needs a list of values."
    for value in values:
        if controller.type == CHECKBOX and not isinstance(value, bool):
            return f"{controller.title} is a checkbox: compare with true or false."
        if controller.type == NUMBER and not _is_number(value):
            return f"{controller.title} is a number: compare with a number."
        if controller.type in (TEXT, DATE, CHOICE, MULTI_CHOICE) and not isinstance(value, str):
            return f"{controller.title} is text: compare with text."
        if controller.type in (CHOICE, MULTI_CHOICE) and value not in controller.choice_values:
            return f"{value!r} is not an option of {controller.title}."
        if controller.type == DATE and parse_date(value) is None:
            return "Compare a date with a date as YYYY-MM-DD."
    return ""


def _cycle_through(variable: Variable, by_name: dict) -> list[str]:
    """The names on a cycle of show-when dependencies through ``variable``, or []."""
    graph = {name: [c.variable for c in other.show_when] for name, other in by_name.items()}
    graph[variable.name] = [c.variable for c in variable.show_when]
    path: list[str] = []

    def visit(name, seen):
        if name == variable.name and path:
            return True
        if name in seen:
            return False
        seen.add(name)
        path.append(name)
        for nxt in graph.get(name, []):
            if visit(nxt, seen):
                return True
        path.pop()
        return False

    return [*path, variable.name] if visit(variable.name, set()) else []


def validate_definitions(definitions) -> None:
    """Every definition of an item together; ``ValidationFailed`` fields ``<name>.<attribute>``."""
    errors: dict[str, list[str]] = {}
    seen = set()
    for variable in definitions:
        if variable.name in seen:
            errors.setdefault(f"{variable.name}.name", []).append("Two variables have this name.")
        seen.add(variable.name)
        for attribute, messages in definition_errors(variable, definitions).items():
            errors.setdefault(f"{variable.name}.{attribute}", []).extend(messages)
    if errors:
        raise ValidationFailed("The form's variables are not consistent.", fields=errors)


# -- JSON Schema ------------------------------------------------------------------------------------

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _before_or_after_pattern(bound: date, *, after: bool) -> str:
    """A pattern matching the YYYY-MM-DD strings on or after (or before) ``bound``.

    Such strings sort like the dates they name, so "on or after" is: equal, or equal up to some digit
    and greater at it (then any digits). JSON Schema has no date comparison; this is how it says it.
    """
    text = bound.isoformat()
    shape = ["\\d" if ch.isdigit() else "-" for ch in text]
    alternatives = [re.escape(text)]
    for index, ch in enumerate(text):
        if not ch.isdigit():
            continue
        digit = int(ch)
        rng = (digit + 1, 9) if after else (0, digit - 1)
        if rng[0] > rng[1]:
            continue
        cls = f"[{rng[0]}-{rng[1]}]" if rng[0] != rng[1] else str(rng[0])
        alternatives.append(re.escape(text[:index]) + cls + "".join(shape[index + 1:]))
    return "^(?:" + "|".join(alternatives) + ")$"


def _property(variable: Variable) -> dict:
    kind = variable.type
    schema: dict = {"title": variable.title}
    if variable.help_text:
        schema["description"] = variable.help_text
    value: dict
    if kind in (TEXT, TEXTAREA):
        limit = min(filter(None, [variable.max_length, TEXT_LIMITS[kind]]))
        value = {"type": "string", "maxLength": limit}
        low = max(variable.min_length or 0, 1 if variable.required else 0)
        if low:
            value["minLength"] = low
        patterns = []
        if variable.regex:
            patterns.append(variable.regex)
        value["not"] = {"pattern": LINE_BREAK if kind == TEXT else NUL}
        if patterns:
            value["pattern"] = patterns[0]
    elif kind == NUMBER:
        value = {"type": "number"}
        if (low := parse_bound(variable, variable.min_value)) is not None:
            value["minimum"] = _number(low)
        if (high := parse_bound(variable, variable.max_value)) is not None:
            value["maximum"] = _number(high)
    elif kind == DATE:
        value = {"type": "string", "format": "date"}
        bounds = []
        if (low := parse_bound(variable, variable.min_value)) is not None:
            value["formatMinimum"] = low.isoformat()
            bounds.append({"pattern": _before_or_after_pattern(low, after=True)})
        if (high := parse_bound(variable, variable.max_value)) is not None:
            value["formatMaximum"] = high.isoformat()
            bounds.append({"pattern": _before_or_after_pattern(high, after=False)})
        if bounds:
            value["allOf"] = bounds
    elif kind == CHOICE:
        value = {"type": "string", "oneOf": [{"const": v, "title": label or v} for v, label in variable.choices]}
    elif kind == MULTI_CHOICE:
        value = {"type": "array", "uniqueItems": True,
                 "items": {"type": "string", "oneOf": [{"const": v, "title": label or v}
                                                       for v, label in variable.choices]}}
        if variable.required:
            value["minItems"] = 1
    elif kind == CHECKBOX:
        value = {"type": "boolean"}
        if variable.required:
            value["const"] = True
    elif kind == USER:
        value = {"oneOf": [{"type": "integer", "minimum": 1, "title": "User id"},
                           {"type": "string", "pattern": EMAIL_PATTERN, "title": "Email address"}]}
    else:  # ATTACHMENT: uploaded as a file with the order, never a JSON value
        schema["description"] = " ".join(filter(None, [variable.help_text,
                                                       "A file uploaded with the order; not accepted in JSON."]))
        schema["not"] = {}
        return schema
    if variable.default is not None and variable.default != "":
        schema["default"] = variable.default
    if variable.required:
        schema.update(value)
    else:
        schema["anyOf"] = [{"type": "null"}, value]
    return schema


def _condition_schema(condition: Condition, by_name: dict) -> dict:
    name = condition.variable
    controller = by_name.get(name)
    if condition.op == IS_SET:
        unset = [None, "", False, []]
        return {"required": [name], "properties": {name: {"not": {"enum": unset}}}}
    if condition.op == EQ:
        return {"required": [name], "properties": {name: {"const": condition.value}}}
    if condition.op == NE:
        return {"not": {"required": [name], "properties": {name: {"const": condition.value}}}}
    options = list(condition.value or [])
    if controller is not None and controller.type == MULTI_CHOICE:
        return {"required": [name], "properties": {name: {"type": "array", "contains": {"enum": options}}}}
    return {"required": [name], "properties": {name: {"enum": options}}}


def json_schema(definitions, *, title: str = "", description: str = "") -> dict:
    """The draft 2020-12 JSON Schema of the ``variables`` object an order sends for these definitions."""
    definitions = sorted(definitions, key=lambda v: (v.order, v.name))
    by_name = {variable.name: variable for variable in definitions}
    schema: dict = {"$schema": SCHEMA_DIALECT, "type": "object"}
    if title:
        schema["title"] = title
    if description:
        schema["description"] = description
    schema["properties"] = {variable.name: _property(variable) for variable in definitions}
    schema["additionalProperties"] = False
    required = [v.name for v in definitions if v.required and not v.show_when and v.type != ATTACHMENT]
    if required:
        schema["required"] = required
    conditional = []
    for variable in definitions:
        if not variable.show_when:
            continue
        condition = {"allOf": [_condition_schema(c, by_name) for c in variable.show_when]}
        then = {"required": [variable.name]} if variable.required and variable.type != ATTACHMENT else {}
        conditional.append({"if": condition, "then": then, "else": {"not": {"required": [variable.name]}}})
    if conditional:
        schema["allOf"] = conditional
    return schema
