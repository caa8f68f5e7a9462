"""Which existing CI an import row describes, by the tenant's identification rules in priority order.

The rules (``CMDBSettings.RULES``) are tried in the order the tenant set: the first rule that finds a CI
decides the match. Name + class finding several CIs where it decides is refused as ambiguous (it cannot
say which one). A unique identifier (serial, FQDN, cloud id) naming a *different* CI than the one that
decides is refused as a conflict, whatever the rules' order and whether the rule is enabled: the row
claims to be two CIs at once, and writing it would take one CI's identifier for another. A lower-priority
name + class that names another CI is no conflict: the stronger identifier decided, and the row renames.

``Candidates`` fetches every CI a chunk of rows could match with one query per identifier (each on its
index), so matching a chunk of a large import costs a few round trips, not one per row; ``match_one`` is the same for a single row (the slow path).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower

from cmdb.models import CI, CMDBSettings
from core.exceptions import ValidationFailed

UNIQUE_RULES = (CMDBSettings.SERIAL, CMDBSettings.FQDN, CMDBSettings.CLOUD_ID)
RULE_NAMES = {CMDBSettings.SERIAL: "serial", CMDBSettings.FQDN: "FQDN", CMDBSettings.CLOUD_ID: "cloud id",
              CMDBSettings.NAME_CLASS: "name + class"}


@dataclass
class Row:
    """One import row, parsed: ``fields`` are CI fields in stored form (class, group and owner resolved),
    ``attributes`` the values as given (text for a CSV); only what the row names is in either."""

    number: int
    data: dict
    fields: dict = field(default_factory=dict)
    attributes: dict = field(default_factory=dict)

    def identifier(self, rule: str):
        if rule == CMDBSettings.NAME_CLASS:
            name, ci_class = self.fields.get("name"), self.fields.get("ci_class")
            return (name.lower(), ci_class.pk) if name and ci_class is not None else None
        return self.fields.get(rule) or None


def active_rules(rules) -> list[str]:
    """The tenant's rules, known keys only, in their order (the defaults when none are set)."""
    rules = [rule for rule in (rules or []) if rule in CMDBSettings.RULES]
    return rules or CMDBSettings.default_rules()


class Candidates:
    """The CIs any of ``rows`` could match, fetched per identifier and indexed by each."""

    def __init__(self, rows, *, lock: bool = False, classes: dict | None = None):
        """``lock``: lock the CIs (FOR UPDATE) for the caller's transaction, which will write them.
        ``classes``: CI classes by id, when the caller has them all (then they are not joined in)."""
        values = {rule: {row.identifier(rule) for row in rows} - {None} for rule in CMDBSettings.RULES}
        # One query per identifier, each on its own index (an OR of them would scan the table); the unique
        # identifiers first, so name + class only fetches the CIs they did not.
        conditions = [Q(**{f"{rule}__in": values[rule]}) for rule in UNIQUE_RULES if values[rule]]
        if values[CMDBSettings.NAME_CLASS]:
            names = {name for name, _ in values[CMDBSettings.NAME_CLASS]}
            class_ids = {class_id for _, class_id in values[CMDBSettings.NAME_CLASS]}
            conditions.append(Q(name_lower__in=names, ci_class_id__in=class_ids))
        self.index: dict[str, dict] = {rule: {} for rule in UNIQUE_RULES}
        self.index[CMDBSettings.NAME_CLASS] = defaultdict(list)
        seen: list[int] = []
        related = ["support_group"] if classes else ["ci_class", "support_group"]
        for condition in conditions:
            cis = (CI.objects.annotate(name_lower=Lower("name")).filter(condition).exclude(pk__in=seen)
                   .select_related(*related).prefetch_related("owner_user", "owner_group").order_by("pk"))
            if lock:
                cis = cis.select_for_update(of=("self",))
            for ci in cis:
                if classes:
                    ci.ci_class = classes[ci.ci_class_id]
                seen.append(ci.pk)
                self.add(ci)

    def add(self, ci: CI) -> None:
        for rule in UNIQUE_RULES:
            if getattr(ci, rule):
                self.index[rule][getattr(ci, rule)] = ci
        self.index[CMDBSettings.NAME_CLASS][(ci.name.lower(), ci.ci_class_id)].append(ci)

    def find(self, rule: str, value) -> list[CI]:
        if rule == CMDBSettings.NAME_CLASS:
            return list(self.index[rule].get(value, []))
        found = self.index[rule].get(value)
        return [found] if found is not None else []


def _describe(rule: str, row: Row) -> str:
    if rule == CMDBSettings.NAME_CLASS:
        return f"name + class {row.fields['name']} / {row.fields['ci_class']}"
    return f"{RULE_NAMES[rule]} {row.fields[rule]}"


def match(row: Row, candidates: Candidates, rules) -> CI | None:
    """The CI ``row`` describes, or None (a new CI); raises ValidationFailed for a conflict or an ambiguity."""
    chosen, chosen_rule = None, None
    for rule in active_rules(rules):
        value = row.identifier(rule)
        if value is None:
            continue
        found = candidates.find(rule, value)
        if len(found) > 1:
            ids = ", ".join(f"{ci.name} (#{ci.pk})" for ci in sorted(found, key=lambda ci: ci.pk))
            raise ValidationFailed("The row matches several CIs.", fields={"name": [
                f"Ambiguous: {_describe(rule, row)} matches {len(found)} CIs ({ids}); "
                "give a serial, FQDN or cloud id to say which."]})
        if found:
            chosen, chosen_rule = found[0], rule
            break
    clashes = []
    for rule in UNIQUE_RULES:
        value = row.identifier(rule)
        found = candidates.find(rule, value) if value is not None else []
        if found and (chosen is None or found[0].pk != chosen.pk):
            clashes.append((rule, found[0]))
    if clashes:
        claims = ([(chosen_rule, chosen)] if chosen is not None else []) + clashes
        if chosen is None and len({ci.pk for _, ci in clashes}) == 1:
            rule, other = clashes[0]
            raise ValidationFailed("The row's identifier belongs to another CI.", fields={rule: [
                f"{_describe(rule, row)} is already CI {other.name} (#{other.pk}), which the identification "
                "rules do not match this row to."]})
        text = ", ".join(f"{_describe(rule, row)} is CI {ci.name} (#{ci.pk})" for rule, ci in claims)
        raise ValidationFailed("The row's identifiers name different CIs.", fields={
            "identifiers": [f"Conflicting identifiers: {text}."]})
    return chosen


def match_one(row: Row, rules) -> CI | None:
    return match(row, Candidates([row]), rules)
