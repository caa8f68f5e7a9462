"""Every write to an asset: validated, locked, recorded in its history and mirrored on its CI, in one transaction.

``by`` is the acting user (or ``tickets.services.SystemActor``); ``source`` names the channel ("desk",
"api", "cmdb (<source>)" when the write came from the asset's CI) on the history entry. The CI side of
the one record of truth is in ``assets.ci_sync``.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assets import ci_sync
from assets import lifecycle as rules
from assets.models import Asset, AssetHistory
from core.exceptions import InvalidTransition, NotPermitted, StaleVersion, ValidationFailed

# The fields a service may write, with the labels history shows. Lifecycle changes only by transition().
FIELDS = {
    "name": "Name", "kind": "Kind", "model": "Model", "manufacturer": "Manufacturer",
    "serial_number": "Serial number", "assigned_to": "Assigned to", "location": "Location", "vendor": "Vendor",
    "order_number": "Order number", "cost": "Cost", "salvage_value": "Salvage value",
    "useful_life_months": "Useful life (months)", "purchase_date": "Purchase date", "warranty_end": "Warranty end",
    "notes": "Notes", "lifecycle": "Lifecycle",
}
EDITABLE = frozenset(FIELDS) - {"lifecycle"}
TAG_PREFIX = "AST-"
_UNSET = object()


def _actor(by):
    return by if getattr(by, "pk", None) else None


def check_can_edit(by) -> None:
    if not (getattr(by, "is_agent", False) or getattr(by, "is_tenant_admin", False)):
        raise NotPermitted("Only agents may change assets.")


def _display(value):
    """A value as history stores it (JSON): people by name, dates and amounts as text."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _comparable(value):
    return value.pk if hasattr(value, "pk") else value


def next_asset_tag() -> str:
    """The tenant's next AST-000123: one more than the highest generated tag, under a lock for the schema."""
    table = Asset._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}.asset_tag"])
        cursor.execute(f"SELECT COALESCE(MAX(substring(asset_tag from '^{TAG_PREFIX}([0-9]+)$')::bigint), 0) "
                       f"FROM {table}")
        return f"{TAG_PREFIX}{cursor.fetchone()[0] + 1:06d}"


def _check_unknown(fields: dict, allowed=EDITABLE) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationFailed("Unknown asset fields.", fields={
            name: ["Not a field of an asset, or one that changes another way."] for name in sorted(unknown)})


def _validate(asset: Asset) -> None:
    """Field shapes (lengths, choices, numbers) and the rules between fields; raises with every error at once."""
    errors: dict[str, list[str]] = {}
    try:
        asset.full_clean(exclude=["ci", "assigned_to", "asset_tag"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as error:
        errors.update({name: list(messages) for name, messages in error.message_dict.items()})
    if not (asset.name or "").strip():
        errors.setdefault("name", ["An asset needs a name."])
    if "cost" not in errors and asset.cost is not None and asset.cost < 0:
        errors["cost"] = ["The cost cannot be negative."]
    if "salvage_value" not in errors and asset.salvage_value is not None:
        if asset.salvage_value < 0:
            errors["salvage_value"] = ["The salvage value cannot be negative."]
        elif "cost" not in errors and asset.cost is not None and asset.salvage_value > asset.cost:
            errors["salvage_value"] = ["The salvage value cannot be more than the cost."]
    if "useful_life_months" not in errors and asset.useful_life_months is not None and asset.useful_life_months < 1:
        errors["useful_life_months"] = ["The useful life is at least one month."]
    if (asset.purchase_date and asset.warranty_end and "purchase_date" not in errors and "warranty_end" not in errors
            and asset.warranty_end < asset.purchase_date):
        errors["warranty_end"] = ["The warranty cannot end before the purchase date."]
    if asset.assigned_to_id and not asset.assigned_to.is_active:
        errors["assigned_to"] = [f"{asset.assigned_to} is deactivated; assign someone active."]
    if asset.lifecycle == Asset.Lifecycle.DEPLOYED and not asset.assigned_to_id and not (asset.location or "").strip():
        errors.setdefault("assigned_to", []).append("A deployed asset needs an assigned user or a location.")
    if errors:
        raise ValidationFailed("The asset is not valid.", fields=errors)


def _save(asset: Asset) -> None:
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as error:
        if "asset_serial_uniq" in str(error):
            raise ValidationFailed("Another asset has this serial number.", fields={
                "serial_number": [f"Serial number {asset.serial_number!r} already belongs to another asset."]}) from None
        if "asset_tag" in str(error):
            raise ValidationFailed("Another asset has this tag.", fields={
                "asset_tag": [f"Asset tag {asset.asset_tag!r} is taken."]}) from None
        raise


def _normalise(fields: dict) -> dict:
    fields = dict(fields)
    for name in ("name", "serial_number", "location", "asset_tag", "vendor", "order_number", "model", "manufacturer"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    if fields.get("salvage_value", 0) is None:
        fields["salvage_value"] = Decimal("0")
    if "assigned_to" in fields and isinstance(fields["assigned_to"], int):
        person = get_user_model().objects.filter(pk=fields["assigned_to"]).first()
        if person is None:
            raise ValidationFailed("Unknown person.", fields={"assigned_to": [f"No person has id {fields['assigned_to']}."]})
        fields["assigned_to"] = person
    return fields


def record(asset: Asset, kind: str, *, by, source: str, **data) -> AssetHistory:
    return AssetHistory.objects.create(asset=asset, kind=kind, author=_actor(by), source=source, data=data)


@transaction.atomic
def create_asset(*, by, source: str = "desk", asset_tag: str = "", lifecycle: str = Asset.Lifecycle.ORDERED,
                 **fields) -> Asset:
    """A new asset; its tag is the tenant's next AST-000123 unless given."""
    check_can_edit(by)
    _check_unknown(fields)
    fields = _normalise({**fields, "asset_tag": asset_tag})
    if lifecycle in rules.FINAL:
        raise ValidationFailed("An asset cannot start disposed.", fields={"lifecycle": ["Choose another lifecycle."]})
    asset = Asset(lifecycle=lifecycle, **{k: v for k, v in fields.items() if k != "asset_tag"})
    asset.asset_tag = fields["asset_tag"] or next_asset_tag()
    if len(asset.asset_tag) > 40:
        raise ValidationFailed("The asset tag is too long.", fields={"asset_tag": ["At most 40 characters."]})
    _validate(asset)
    _save(asset)
    record(asset, "created", by=by, source=source)
    return asset



def lock_for_write(asset: Asset, version: int | None) -> Asset:
    """The asset's row, locked for this transaction; StaleVersion when ``version`` is not its current one."""
    locked = Asset.objects.select_for_update(of=("self",)).select_related("assigned_to", "ci").get(pk=asset.pk)
    if version is not None and version != locked.version:
        raise StaleVersion(f"Someone changed {locked.asset_tag} meanwhile (version {locked.version}, you had "
                           f"{version}); reload it.")
    return locked


def apply_fields(asset: Asset, fields: dict) -> list[dict]:
    """Set ``fields`` on the locked asset, validate, and return the changes (nothing saved yet)."""
    before = {name: getattr(asset, name) for name in fields}
    for name, value in fields.items():
        setattr(asset, name, value)
    _validate(asset)
    changes = []
    for name in fields:
        old, new = before[name], getattr(asset, name)
        if _comparable(old) != _comparable(new):
            changes.append({"field": name, "label": FIELDS[name], "old": _display(old), "new": _display(new)})
    return changes


def save_and_sync(asset: Asset, changes: list[dict], *, by) -> None:
    """Save the next version and write the shared fields that changed to the asset's CI (same transaction)."""
    asset.version += 1
    asset.updated_at = timezone.now()
    _save(asset)
    ci_sync.push(asset, changes, by=by)


@transaction.atomic
def update_asset(asset: Asset, *, by, source: str = "desk", version: int | None = None,
                 **fields) -> tuple[Asset, list[dict]]:
    """Change an asset's fields; returns it (locked, fresh) and the changes ([]: nothing changed, no history).

    Its CI's shared fields are written in the same transaction: a refusal there changes nothing here.
    """
    check_can_edit(by)
    _check_unknown(fields)
    fields = _normalise(fields)
    asset = lock_for_write(asset, version)
    if asset.lifecycle in rules.OUT_OF_USE and fields.get("assigned_to") is not None \
            and _comparable(fields["assigned_to"]) != asset.assigned_to_id:
        raise ValidationFailed(f"A {asset.get_lifecycle_display().lower()} asset cannot be assigned.",
                               fields={"assigned_to": ["Nobody may be newly assigned to an asset out of use."]})
    changes = apply_fields(asset, fields)
    if changes:
        save_and_sync(asset, changes, by=by)
        record(asset, "updated", by=by, source=source, changes=changes)
    return asset, changes


def assign(asset: Asset, *, by, user, location=_UNSET, source: str = "desk", version: int | None = None):
    fields = {"assigned_to": user}
    if location is not _UNSET:
        fields["location"] = location
    return update_asset(asset, by=by, source=source, version=version, **fields)


def unassign(asset: Asset, *, by, source: str = "desk", version: int | None = None):
    """Nobody holds it any more; a deployed asset keeps its location (or is refused without one)."""
    return update_asset(asset, by=by, source=source, version=version, assigned_to=None)


@transaction.atomic
def transition(asset: Asset, action: str, *, by, source: str = "desk", version: int | None = None,
               assigned_to=_UNSET, location=_UNSET, note: str = "") -> Asset:
    """Move the asset along its lifecycle (``assets.lifecycle``), recording what the step changed.

    ``deploy`` takes the user and/or location it deploys to; ``return_to_stock`` clears the assigned
    user (the device is back on the shelf) and may set the stock location. Both are recorded.
    """
    check_can_edit(by)
    step = rules.BY_NAME.get(action)
    if step is None:
        raise ValidationFailed(f"Unknown lifecycle action {action!r}.", fields={"action": [
            "Must be one of: " + ", ".join(rules.BY_NAME) + "."]})
    asset = lock_for_write(asset, version)
    if asset.lifecycle not in step.sources:
        possible = ", ".join(t.label.lower() for t in rules.allowed(asset.lifecycle)) or "nothing (it is final)"
        raise InvalidTransition(f"{asset.asset_tag} is {asset.get_lifecycle_display().lower()}: it cannot "
                                f"“{step.label.lower()}”. Possible: {possible}.")
    fields = {}
    if assigned_to is not _UNSET:
        if action != "deploy":
            raise ValidationFailed("Only deploying assigns a user.", fields={"assigned_to": ["Assign on deploy only."]})
        fields["assigned_to"] = _normalise({"assigned_to": assigned_to})["assigned_to"]
    if location is not _UNSET:
        if action not in {"deploy", "return_to_stock"}:
            raise ValidationFailed("Only deploying or returning to stock sets the location.",
                                   fields={"location": ["Set the location on deploy or return to stock."]})
        fields["location"] = (location or "").strip()
    if action == "return_to_stock":
        fields["assigned_to"] = None
    was = {"lifecycle": asset.lifecycle, "assigned_to": _display(asset.assigned_to), "location": asset.location}
    fields["lifecycle"] = step.target
    changes = apply_fields(asset, fields)
    save_and_sync(asset, changes, by=by)
    data = {"action": step.name, "from": was["lifecycle"], "to": step.target,
            "changes": [c for c in changes if c["field"] != "lifecycle"]}
    if step.target == Asset.Lifecycle.RETIRED:
        # Retiring keeps the holder and place on the asset; the entry names them for whoever collects it.
        data["kept"] = {"assigned_to": was["assigned_to"], "location": was["location"]}
    if note.strip():
        data["note"] = note.strip()[:2000]
    record(asset, "lifecycle", by=by, source=source, **data)
    return asset
