"""Every write to a CI or a relationship: validated, locked, recorded in the CI's history in one transaction.

``by`` is the acting user, or ``tickets.services.SystemActor`` for a job; ``source`` names the discovery
source or channel ("desk", "api", an import's source) on the history entry.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cmdb import attributes, events, queries
from cmdb.models import CI, CIClass, CIHistory, Relationship, RelationshipType, Sighting
from core.exceptions import NotPermitted, StaleVersion, ValidationFailed

# The CI fields a service may write, with the labels history shows.
FIELDS = {
    "name": "Name", "ci_class": "Class", "status": "Status", "environment": "Environment",
    "criticality": "Criticality", "description": "Description", "owner_user": "Owner",
    "owner_group": "Owning group", "support_group": "Support group", "serial_number": "Serial number",
    "fqdn": "FQDN", "ip_addresses": "IP addresses", "mac_addresses": "MAC addresses", "cloud_id": "Cloud id",
}
UNIQUE_IDENTIFIERS = {"serial_number": "cmdb_ci_serial_uniq", "fqdn": "cmdb_ci_fqdn_uniq", "cloud_id": "cmdb_ci_cloud_uniq"}


def _actor(by):
    return by if getattr(by, "pk", None) else None


def check_can_edit(by) -> None:
    if not (getattr(by, "is_agent", False) or getattr(by, "is_tenant_admin", False)):
        raise NotPermitted("Only agents may change the CMDB.")


def normalise(fields: dict) -> dict:
    """Identifiers in their stored form: trimmed, FQDN lower-case, MAC addresses as aa:bb:cc:dd:ee:ff."""
    fields = dict(fields)
    for name in ("name", "serial_number", "cloud_id"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    if isinstance(fields.get("fqdn"), str):
        fields["fqdn"] = fields["fqdn"].strip().lower().rstrip(".")
    if "mac_addresses" in fields and fields["mac_addresses"] is not None:
        fields["mac_addresses"] = [_mac(mac) for mac in fields["mac_addresses"]]
    return fields


def _mac(value) -> str:
    digits = "".join(ch for ch in str(value).lower() if ch in "0123456789abcdef")
    if len(digits) != 12 or len(str(value)) > 17:
        raise ValidationFailed("A MAC address is not valid.", fields={"mac_addresses": [f"{value!r} is not a MAC address."]})
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def clean_attributes(ci_class: CIClass, values: dict, *, text_input: bool = False) -> dict:
    return attributes.validate(queries.definitions_for(ci_class), values or {}, queries.resolve_reference,
                               text_input=text_input)


def _check_required(fields: dict) -> None:
    errors = {}
    if not (fields.get("name") or "").strip():
        errors["name"] = ["A CI needs a name."]
    if fields.get("ci_class") is None:
        errors["ci_class"] = ["A CI needs a class."]
    if errors:
        raise ValidationFailed("The CI is incomplete.", fields=errors)


def _save(ci: CI) -> None:
    """Save, turning a clash on a unique identifier into a field error."""
    try:
        with transaction.atomic():
            ci.save()
    except IntegrityError as error:
        for field, constraint in UNIQUE_IDENTIFIERS.items():
            if constraint in str(error):
                raise ValidationFailed("Another CI has this identifier.", fields={
                    field: [f"{FIELDS[field]} {getattr(ci, field)!r} already belongs to another CI."]}) from None
        raise


@transaction.atomic
def create_ci(*, by, source: str = "desk", attributes: dict | None = None, text_input: bool = False,
              seen_at=None, **fields) -> CI:
    check_can_edit(by)
    fields = normalise(fields)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed("Unknown CI fields.", fields={name: ["Not a field of a CI."] for name in sorted(unknown)})
    _check_required(fields)
    ci = CI(**fields)
    ci.attributes = clean_attributes(ci.ci_class, attributes or {}, text_input=text_input)
    ci.full_clean(exclude=["attributes", "ip_addresses", "mac_addresses", "owner_user", "owner_group",
                           "support_group", "ci_class"], validate_unique=False, validate_constraints=False)
    _save(ci)
    CIHistory.objects.create(ci=ci, kind=CIHistory.Kind.CREATED, author=_actor(by), source=source)
    events.ci_changed(ci, [], by=by, source=source, created=True)
    if seen_at is not None:
        record_sighting(ci, source, seen_at)
    return ci


def _display(value):
    if hasattr(value, "pk"):
        return str(value)
    return value


def changes_between(ci: CI, fields: dict, new_attributes: dict | None) -> list[dict]:
    """What an update would change, as history records it ([] when nothing would)."""
    changes = []
    for name, value in fields.items():
        old = getattr(ci, name)
        if (old.pk if hasattr(old, "pk") else old) != (value.pk if hasattr(value, "pk") else value):
            changes.append({"field": name, "label": FIELDS[name], "old": _display(old), "new": _display(value)})
    if new_attributes is not None:
        for name in sorted(set(ci.attributes) | set(new_attributes)):
            if ci.attributes.get(name) != new_attributes.get(name):
                changes.append({"field": f"attributes.{name}", "label": name,
                                "old": ci.attributes.get(name), "new": new_attributes.get(name)})
    return changes


@transaction.atomic
def update_ci(ci: CI, *, by, source: str = "desk", version: int | None = None, attributes: dict | None = None,
              merge_attributes: bool = False, text_input: bool = False, seen_at=None, **fields) -> tuple[CI, list[dict]]:
    """Change a CI; returns it (locked, fresh) and the changes written (empty: nothing changed, no history).

    ``attributes`` replaces the set unless ``merge_attributes`` (an import row naming only some).
    """
    check_can_edit(by)
    fields = normalise(fields)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed("Unknown CI fields.", fields={name: ["Not a field of a CI."] for name in sorted(unknown)})
    ci = CI.objects.select_for_update().get(pk=ci.pk)
    if version is not None and version != ci.version:
        raise StaleVersion("Someone changed this CI meanwhile; reload it.")
    merged = {**{name: getattr(ci, name) for name in ("name", "ci_class")}, **fields}
    _check_required(merged)
    new_attributes = None
    if attributes is not None or "ci_class" in fields:
        base = dict(ci.attributes) if (merge_attributes or attributes is None) else {}
        base.update(attributes or {})
        new_attributes = clean_attributes(merged["ci_class"], base, text_input=text_input)
    changes = changes_between(ci, fields, new_attributes)
    if changes:
        for name, value in fields.items():
            setattr(ci, name, value)
        if new_attributes is not None:
            ci.attributes = new_attributes
        ci.version += 1
        ci.updated_at = timezone.now()
        ci.full_clean(exclude=["attributes", "ip_addresses", "mac_addresses", "owner_user", "owner_group",
                               "support_group", "ci_class"], validate_unique=False, validate_constraints=False)
        _save(ci)
        CIHistory.objects.create(ci=ci, kind=CIHistory.Kind.UPDATED, author=_actor(by), source=source,
                                 data={"changes": changes})
        events.ci_changed(ci, changes, by=by, source=source)
    if seen_at is not None:
        record_sighting(ci, source, seen_at)
    return ci, changes


def record_sighting(ci: CI, source: str, when) -> None:
    """Stamp that ``source`` saw the CI at ``when`` (later sightings only move it forward)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cmdb_sighting (ci_id, source, first_seen, last_seen) VALUES (%s, %s, %s, %s)
            ON CONFLICT (ci_id, source) DO UPDATE SET last_seen = GREATEST(cmdb_sighting.last_seen, EXCLUDED.last_seen)
            """, [ci.pk, source, when, when])
        cursor.execute("UPDATE cmdb_ci SET last_seen_at = GREATEST(COALESCE(last_seen_at, %s), %s) WHERE id = %s",
                       [when, when, ci.pk])


def _class_allowed(ci_class_id: int, allowed_ids: set[int]) -> bool:
    return not allowed_ids or ci_class_id in queries.descendant_ids(allowed_ids)


def _reaches(start_id: int, goal_id: int, type_id: int) -> bool:
    """Whether a chain of relationships of this type leads from ``start`` to ``goal`` (visit-once walk)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE walk(id) AS (
                SELECT %s::bigint
                UNION
                SELECT r.target_id FROM cmdb_relationship r JOIN walk ON r.source_id = walk.id WHERE r.type_id = %s
            )
            SELECT EXISTS (SELECT 1 FROM walk WHERE id = %s)
            """, [start_id, type_id, goal_id])
        return cursor.fetchone()[0]


@transaction.atomic
def add_relationship(*, by, type: RelationshipType, source: CI, target: CI, discovered_by: str = "") -> Relationship:
    check_can_edit(by)
    if source.pk == target.pk:
        raise ValidationFailed("A CI cannot be related to itself.", fields={"target": ["Choose another CI than the source."]})
    # Lock both ends in id order so two writers adding a cycle's two halves cannot both pass the check.
    locked = {ci.pk: ci for ci in CI.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    errors = {}
    sources = set(type.source_classes.values_list("pk", flat=True))
    targets = set(type.target_classes.values_list("pk", flat=True))
    if not _class_allowed(source.ci_class_id, sources):
        errors["source"] = [f"A {source.ci_class} cannot be the source of “{type.name}”."]
    if not _class_allowed(target.ci_class_id, targets):
        errors["target"] = [f"A {target.ci_class} cannot be the target of “{type.name}”."]
    if errors:
        raise ValidationFailed("This relationship type does not join these classes.", fields=errors)
    if Relationship.objects.filter(type=type, source=source, target=target).exists():
        raise ValidationFailed("This relationship exists already.", fields={"target": ["These CIs are related this way already."]})
    if not type.allows_cycles and _reaches(target.pk, source.pk, type.pk):
        raise ValidationFailed("This relationship would make a cycle.", fields={
            "target": [f"{target} already leads back to {source} through “{type.name}”, which may not loop."]})
    relationship = Relationship.objects.create(type=type, source=source, target=target, discovered_by=discovered_by,
                                               created_by=_actor(by))
    data = {"relationship": {"id": relationship.pk, "type": type.key, "source": source.pk, "target": target.pk,
                             "source_name": source.name, "target_name": target.name, "label": type.name}}
    origin = discovered_by or "desk"
    CIHistory.objects.bulk_create([
        CIHistory(ci=source, kind=CIHistory.Kind.RELATIONSHIP_ADDED, author=_actor(by), source=origin, data=data),
        CIHistory(ci=target, kind=CIHistory.Kind.RELATIONSHIP_ADDED, author=_actor(by), source=origin, data=data),
    ])
    return relationship


@transaction.atomic
def remove_relationship(relationship: Relationship, *, by, source: str = "desk") -> None:
    check_can_edit(by)
    data = {"relationship": {"id": relationship.pk, "type": relationship.type.key, "source": relationship.source_id,
                             "target": relationship.target_id, "source_name": relationship.source.name,
                             "target_name": relationship.target.name, "label": relationship.type.name}}
    CIHistory.objects.bulk_create([
        CIHistory(ci_id=relationship.source_id, kind=CIHistory.Kind.RELATIONSHIP_REMOVED, author=_actor(by), source=source, data=data),
        CIHistory(ci_id=relationship.target_id, kind=CIHistory.Kind.RELATIONSHIP_REMOVED, author=_actor(by), source=source, data=data),
    ])
    relationship.delete()
