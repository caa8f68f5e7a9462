"""Conditions on a ticket's facts, as structured JSON (never code), for rule and skip conditions.

A condition is a leaf ``{"fact": "price", "op": "gt", "value": 1000}`` or a group
``{"all": [...]}`` / ``{"any": [...]}`` / ``{"not": condition}``. A fact may name a nested value
with dots (``"variables.cost_centre"``). The empty condition ``{}`` holds always.

``errors(condition)`` says what is wrong with one (the definition refuses it when saved);
``holds(condition, facts)`` evaluates a valid one. A fact the ticket does not have makes every
comparison false except ``ne`` and ``is_set: false``.
"""

from __future__ import annotations

from decimal import Decimal
from numbers import Number
from typing import Any

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "is_set")
_ORDERED = {"gt", "gte", "lt", "lte"}
_MISSING = object()
MAX_DEPTH = 10


def _is_number(value) -> bool:
    return isinstance(value, (Number, Decimal)) and not isinstance(value, bool)


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def errors(condition: Any, *, path: str = "", depth: int = 0) -> list[str]:
    """Every problem of ``condition``, each naming where it is ("all.1: unknown op 'bigger'")."""
    where = f"{path}: " if path else ""
    if depth > MAX_DEPTH:
        return [f"{where}conditions nest at most {MAX_DEPTH} levels deep."]
    if not isinstance(condition, dict):
        return [f"{where}a condition must be an object."]
    if not condition and depth == 0:
        return []
    groups = [key for key in ("all", "any", "not") if key in condition]
    if groups:
        if len(condition) != 1:
            return [f"{where}a group has exactly one key: all, any or not."]
        key = groups[0]
        inner = condition[key]
        if key == "not":
            return errors(inner, path=f"{path}.not" if path else "not", depth=depth + 1) if inner else [
                f"{where}'not' needs a condition."]
        if not isinstance(inner, list) or not inner:
            return [f"{where}'{key}' needs a non-empty list of conditions."]
        found: list[str] = []
        for index, item in enumerate(inner):
            found += errors(item, path=f"{path}.{key}.{index}" if path else f"{key}.{index}", depth=depth + 1)
        return found
    unknown = set(condition) - {"fact", "op", "value"}
    if unknown:
        return [f"{where}unknown key{'s' if len(unknown) > 1 else ''} {', '.join(sorted(map(str, unknown)))}."]
    fact, op = condition.get("fact"), condition.get("op")
    found = []
    if not isinstance(fact, str) or not fact.strip():
        found.append(f"{where}'fact' must name a fact, e.g. \"price\".")
    if op not in OPS:
        found.append(f"{where}unknown op {op!r}; use one of {', '.join(OPS)}.")
        return found
    if "value" not in condition:
        if op != "is_set":
            found.append(f"{where}'{op}' needs a value.")
        return found
    value = condition["value"]
    if op in _ORDERED and not _is_number(value):
        found.append(f"{where}'{op}' compares numbers; the value must be a number.")
    elif op == "in" and not (isinstance(value, list) and all(_is_scalar(v) for v in value)):
        found.append(f"{where}'in' needs a list of plain values.")
    elif op == "is_set" and not isinstance(value, bool):
        found.append(f"{where}'is_set' takes true or false.")
    elif op in {"eq", "ne", "contains"} and not _is_scalar(value):
        found.append(f"{where}'{op}' needs a plain value (text, number, true/false or null).")
    return found


def _fact(facts: dict, name: str):
    value: Any = facts
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _number(value):
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _leaf(condition: dict, facts: dict) -> bool:
    op = condition["op"]
    actual = _fact(facts, condition["fact"])
    expected = condition.get("value", True)
    if op == "is_set":
        present = actual is not _MISSING and actual not in (None, "", [], {})
        return present is bool(expected)
    if op == "ne":
        return actual is _MISSING or actual != expected
    if actual is _MISSING:
        return False
    if op == "eq":
        return actual == expected or (_number(actual) is not None and _is_number(expected)
                                      and _number(actual) == float(expected))
    if op == "in":
        return actual in expected
    if op == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected.lower() in actual.lower()
        return isinstance(actual, (list, tuple, set)) and expected in actual
    left = _number(actual)
    if left is None:
        return False
    right = float(expected)
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def holds(condition: dict, facts: dict) -> bool:
    if not condition:
        return True
    if "all" in condition:
        return all(holds(item, facts) for item in condition["all"])
    if "any" in condition:
        return any(holds(item, facts) for item in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], facts)
    return _leaf(condition, facts)


def describe(condition: dict) -> str:
    """The condition in words, for the stage's skip reason and the settings page."""
    if not condition:
        return "always"
    if "all" in condition:
        return " and ".join(f"({describe(c)})" if len(c) == 1 and set(c) & {"all", "any"} else describe(c)
                            for c in condition["all"])
    if "any" in condition:
        return " or ".join(describe(c) for c in condition["any"])
    if "not" in condition:
        return f"not ({describe(condition['not'])})"
    words = {"eq": "is", "ne": "is not", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "is one of",
             "contains": "contains"}
    if condition["op"] == "is_set":
        return f"{condition['fact']} is {'set' if condition.get('value', True) else 'not set'}"
    return f"{condition['fact']} {words[condition['op']]} {condition.get('value')!r}"
