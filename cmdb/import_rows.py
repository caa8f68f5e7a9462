"""One import row -> a ``reconcile.Row``: class, choices, group and owner resolved, identifiers normalised.

An empty cell (or a JSON null) means "not given": the CI's value stays as it is. Attributes are only
collected here; they are checked against the class once the row's CI (and so its class) is known.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth import get_user_model

from accounts.models import AssignmentGroup
from cmdb import attributes as attribute_rules
from cmdb import queries, reconcile, services
from cmdb.import_files import ATTRIBUTE_PREFIX, COLUMNS, REQUIRED_COLUMNS
from cmdb.models import CI, CIClass
from core.exceptions import ValidationFailed

TEXT_LIMITS = {name: CI._meta.get_field(name).max_length for name in ("name", "serial_number", "fqdn", "cloud_id")}



class Resolver:
    """Lookups a whole import shares (classes, groups, owners, attribute definitions), read once each."""

    def __init__(self):
        self.classes = {}
        for ci_class in CIClass.objects.all():
            self.classes[ci_class.key.lower()] = ci_class
            self.classes.setdefault(ci_class.name.lower(), ci_class)
        self.classes_by_id = {ci_class.pk: ci_class for ci_class in self.classes.values()}
        self.groups = {group.name.lower(): group for group in AssignmentGroup.objects.all()}
        self._owners: dict[str, object] = {}
        self._definitions: dict[int, list] = {}
        self._references: dict[tuple, int | None] = {}

    def owner(self, email: str):
        key = email.lower()
        if key not in self._owners:
            self._owners[key] = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        return self._owners[key]

    def definitions(self, ci_class: CIClass) -> list:
        if ci_class.pk not in self._definitions:
            self._definitions[ci_class.pk] = queries.definitions_for(ci_class)
        return self._definitions[ci_class.pk]

    def reference(self, definition, value):
        key = (definition.pk, value)
        if key not in self._references:
            self._references[key] = queries.resolve_reference(definition, value)
        return self._references[key]

    def clean_attributes(self, ci_class: CIClass, values: dict, *, text_input: bool) -> dict:
        return attribute_rules.validate(self.definitions(ci_class), values, self.reference, text_input=text_input)


def _spellings(choices) -> dict:
    """Each choice by its key, its label and (criticality) the label's word: "1", "1 - critical", "critical"."""
    found = {}
    for key, display in choices:
        for text in (str(key), display, display.partition(" - ")[2]):
            if text:
                found[text.lower()] = key
    return found


CHOICES = {"status": (_spellings(CI.Status.choices), CI.Status.values),
           "environment": (_spellings(CI.Environment.choices), CI.Environment.values),
           "criticality": (_spellings(CI.Criticality.choices), CI.Criticality.values)}


def _choice(value: str, errors, name):
    spellings, keys = CHOICES[name]
    found = spellings.get(value.lower())
    if found is None:
        errors[name] = [f"{name.capitalize()} must be one of: {', '.join(str(key) for key in keys)}."]
    return found


def _addresses(value, errors, name):
    items = value.replace(";", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        errors[name] = ["Give the addresses as text separated by ; or spaces (JSON: a list of text)."]
        return None
    if name == "mac_addresses":
        return [item.strip() for item in items if item.strip()]
    cleaned = []
    for item in items:
        try:
            cleaned.append(str(ipaddress.ip_address(item.strip())))
        except ValueError:
            errors.setdefault(name, []).append(f"{item!r} is not an IP address.")
    return cleaned


def parse_row(number: int, values: dict, resolver: Resolver, *, text_input: bool) -> reconcile.Row:
    """The row's CI fields and attributes, or ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    raw_attributes: dict = {}
    for key, value in values.items():
        if key.startswith(ATTRIBUTE_PREFIX):
            if value is not None and value != "":
                raw_attributes[key[len(ATTRIBUTE_PREFIX):]] = value
            continue
        if key == "attributes" and not text_input:
            if value is None:
                continue
            if not isinstance(value, dict):
                errors["attributes"] = ["Must be an object of name: value."]
            else:
                raw_attributes.update({k: v for k, v in value.items() if v is not None and v != ""})
            continue
        if key not in COLUMNS:
            errors[key] = ["Unknown column."]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # not given: leave the CI's value as it is
        if key in ("ip_addresses", "mac_addresses"):
            fields[key] = _addresses(value, errors, key)
            continue
        if key == "criticality" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            errors[key] = ["Give this as text."]
            continue
        value = value.strip()
        if key == "class":
            fields["ci_class"] = resolver.classes.get(value.lower())
            if fields["ci_class"] is None:
                errors["class"] = [f"No CI class “{value}” (give a class key or name)."]
        elif key in CHOICES:
            fields[key] = _choice(value, errors, key)
        elif key == "support_group":
            fields["support_group"] = resolver.groups.get(value.lower())
            if fields["support_group"] is None:
                errors[key] = [f"No assignment group “{value}”."]
        elif key == "owner":
            fields["owner_user"] = resolver.owner(value)
            if fields["owner_user"] is None:
                errors[key] = [f"No active user with the email {value}."]
        else:
            if key in TEXT_LIMITS and len(value) > TEXT_LIMITS[key]:
                errors[key] = [f"At most {TEXT_LIMITS[key]} characters."]
            elif "\x00" in value:
                errors[key] = ["Text may not contain a NUL character."]
            fields[key] = value
    for name in REQUIRED_COLUMNS:
        if name not in errors and not fields.get("ci_class" if name == "class" else name):
            errors[name] = ["Required."]
    if not errors:
        try:
            fields = services.normalise(fields)
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed("The row is not valid.", fields=errors)
    return reconcile.Row(number=number, data=values, fields=fields, attributes=raw_attributes)
