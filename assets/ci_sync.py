"""One record of truth: an asset and the CI that represents it never disagree on the fields they share.

Shared fields: name, serial number, the assigned user (the CI's ``owner_user``) and the lifecycle
(the CI's status: ordered and in stock are *planned*, deployed is *live*, in repair is *maintenance*,
retired and disposed are *retired*).

Both directions run inside the writing transaction, so a refusal on either side changes neither:

- Asset -> CI: every asset service that changes a shared field writes the CI through
  ``cmdb.services.update_ci`` (source "assets"); a CI refusal (another CI has the serial) rolls the
  asset back too.
- CI -> asset: ``cmdb.events`` calls ``on_ci_changed`` for a CI changed through ``cmdb.services``
  (desk, API, imports). Name, serial and owner are copied to the asset. The **asset's lifecycle
  wins** over the CI's status: a new status moves the asset only along its own lifecycle, by the one
  transition that reaches it — *live* deploys an asset in stock or in repair (it needs an owner or a
  location, like any deployment), *maintenance* sends a deployed asset to repair, *retired* retires
  an asset in stock, deployed or in repair. Any other status change (an ordered asset set live, a
  deployed one set back to planned, a retired one revived) is refused with a message naming the
  asset, and the CI keeps its status: return to stock, receive or revive on the asset.

A context variable holds the CI being synchronised, so the write one side makes is not echoed back
by the other (no ping-pong).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.db import transaction

from assets.models import Asset
from cmdb import queries as cmdb_queries
from cmdb import services as cmdb_services
from cmdb.models import CI, CIClass
from core.exceptions import TicketError, ValidationFailed

STATUS_FOR = {
    Asset.Lifecycle.ORDERED: CI.Status.PLANNED,
    Asset.Lifecycle.IN_STOCK: CI.Status.PLANNED,
    Asset.Lifecycle.DEPLOYED: CI.Status.LIVE,
    Asset.Lifecycle.IN_REPAIR: CI.Status.MAINTENANCE,
    Asset.Lifecycle.RETIRED: CI.Status.RETIRED,
    Asset.Lifecycle.DISPOSED: CI.Status.RETIRED,
}
# The transitions a CI's new status may drive, by the status.
DRIVEN_BY_STATUS = {CI.Status.LIVE: "deploy", CI.Status.MAINTENANCE: "send_to_repair", CI.Status.RETIRED: "retire"}
# asset field -> CI field
SHARED = {"name": "name", "serial_number": "serial_number", "assigned_to": "owner_user", "lifecycle": "status"}
FROM_CI = {ci_field: asset_field for asset_field, ci_field in SHARED.items() if asset_field != "lifecycle"}
DEFAULT_CLASS = {Asset.Kind.HARDWARE: "end_user_device", Asset.Kind.SOFTWARE: "application"}
SOURCE = "assets"

_syncing: contextvars.ContextVar[int | None] = contextvars.ContextVar("assets_ci_syncing", default=None)


@contextmanager
def _syncing_ci(ci_id: int):
    token = _syncing.set(ci_id)
    try:
        yield
    finally:
        _syncing.reset(token)


def ci_fields(asset: Asset) -> dict:
    return {"name": asset.name, "serial_number": asset.serial_number, "owner_user": asset.assigned_to,
            "status": STATUS_FOR[asset.lifecycle]}


def push(asset: Asset, changes: list[dict], *, by, force: bool = False) -> None:
    """Write the asset's shared fields to its CI (called by the asset services, inside their transaction)."""
    if asset.ci_id is None or _syncing.get() == asset.ci_id:
        return
    if not force and not any(change["field"] in SHARED for change in changes):
        return
    with _syncing_ci(asset.ci_id):
        cmdb_services.update_ci(CI(pk=asset.ci_id), by=by, source=SOURCE, **ci_fields(asset))


def cis_with_assets(ci_ids) -> set[int]:
    """Which of these CIs represent an asset (``cmdb.events`` sends them through the services on imports)."""
    return set(Asset.objects.filter(ci_id__in=ci_ids).values_list("ci_id", flat=True))


def on_ci_changed(ci: CI, changes: list[dict], *, by, source: str, created: bool) -> None:
    """``cmdb.events`` listener: bring the CI's asset in step with the CI's change (see the module docstring)."""
    if created or _syncing.get() == ci.pk:
        return
    changed = {change["field"] for change in changes}
    if not changed & (set(FROM_CI) | {"status"}):
        return
    asset = Asset.objects.select_for_update().filter(ci_id=ci.pk).first()
    if asset is None:
        return
    from assets import services

    origin = f"cmdb ({source})" if source else "cmdb"
    with _syncing_ci(ci.pk):
        fields = {asset_field: getattr(ci, ci_field) for ci_field, asset_field in FROM_CI.items() if ci_field in changed}
        if fields:
            asset, _ = services.update_asset(asset, by=by, source=origin, **fields)
        if "status" in changed and STATUS_FOR[asset.lifecycle] != ci.status:
            action = DRIVEN_BY_STATUS.get(ci.status)
            from assets import lifecycle

            step = lifecycle.BY_NAME.get(action)
            if step is None or asset.lifecycle not in step.sources:
                raise ValidationFailed(
                    f"{ci.name} represents asset {asset.asset_tag}, which is "
                    f"{asset.get_lifecycle_display().lower()}: its CI cannot be {ci.get_status_display().lower()}. "
                    "Change the asset's lifecycle instead.",
                    fields={"status": [f"Asset {asset.asset_tag} is {asset.get_lifecycle_display().lower()}; "
                                       f"the CI's status follows it ({STATUS_FOR[asset.lifecycle].label})."]})
            try:
                services.transition(asset, action, by=by, source=origin)
            except TicketError as error:
                raise ValidationFailed(f"{ci.name} cannot be {ci.get_status_display().lower()}: asset "
                                       f"{asset.asset_tag} refuses to {step.label.lower()}. {error.describe()}",
                                       fields={"status": [error.describe()]}) from None


def default_class(asset: Asset) -> CIClass | None:
    return CIClass.objects.filter(key=DEFAULT_CLASS.get(asset.kind, "hardware")).first()


@transaction.atomic
def link_ci(asset: Asset, ci: CI, *, by, source: str = "desk", version: int | None = None) -> Asset:
    """Make ``ci`` the asset's CI. The asset's shared fields win; an empty serial or owner takes the CI's."""
    from assets import services

    services.check_can_edit(by)
    asset = services.lock_for_write(asset, version)
    ci = CI.objects.select_for_update().filter(pk=getattr(ci, "pk", ci)).first()
    if ci is None:
        raise ValidationFailed("No such CI.", fields={"ci": ["Choose an existing CI."]})
    if asset.ci_id == ci.pk:
        return asset
    if asset.ci_id is not None:
        raise ValidationFailed(f"{asset.asset_tag} is linked to another CI; unlink it first.",
                               fields={"ci": ["The asset already has a CI."]})
    other = Asset.objects.filter(ci_id=ci.pk).exclude(pk=asset.pk).values_list("asset_tag", flat=True).first()
    if other:
        raise ValidationFailed(f"{ci.name} already represents asset {other}.", fields={"ci": [
            f"This CI belongs to {other}."]})
    adopted = {}
    if not asset.serial_number and ci.serial_number:
        adopted["serial_number"] = ci.serial_number
    if asset.assigned_to_id is None and ci.owner_user_id and asset.lifecycle not in {Asset.Lifecycle.RETIRED,
                                                                                   Asset.Lifecycle.DISPOSED}:
        adopted["assigned_to"] = ci.owner_user
    changes = services.apply_fields(asset, adopted)
    asset.ci = ci
    services.save_and_sync(asset, [], by=by)
    services.record(asset, "ci_linked", by=by, source=source, ci={"id": ci.pk, "name": ci.name}, changes=changes)
    push(asset, changes, by=by, force=True)
    return asset


@transaction.atomic
def create_ci_for(asset: Asset, *, by, ci_class: CIClass | None = None, source: str = "desk",
                  version: int | None = None) -> Asset:
    """Create the CI that represents the asset (its class chosen, or the kind's default) and link it."""
    from assets import services

    services.check_can_edit(by)
    asset = services.lock_for_write(asset, version)
    if asset.ci_id is not None:
        raise ValidationFailed(f"{asset.asset_tag} already has a CI.", fields={"ci": ["The asset already has a CI."]})
    ci_class = ci_class or default_class(asset)
    if ci_class is None:
        raise ValidationFailed("Choose a CI class.", fields={"ci_class": ["No default class for this kind."]})
    names = {definition.name for definition in cmdb_queries.definitions_for(ci_class)}
    attributes = {name: value for name, value in (("manufacturer", asset.manufacturer), ("model", asset.model))
                  if value and name in names}
    ci = cmdb_services.create_ci(by=by, source=SOURCE, ci_class=ci_class, attributes=attributes, **ci_fields(asset))
    return link_ci(asset, ci, by=by, source=source)


@transaction.atomic
def unlink_ci(asset: Asset, *, by, source: str = "desk", version: int | None = None) -> Asset:
    """The asset stops being represented by its CI; the CI stays in the CMDB as it is."""
    from assets import services

    services.check_can_edit(by)
    asset = services.lock_for_write(asset, version)
    if asset.ci_id is None:
        return asset
    ci = asset.ci
    asset.ci = None
    services.save_and_sync(asset, [], by=by)
    services.record(asset, "ci_unlinked", by=by, source=source, ci={"id": ci.pk, "name": ci.name})
    return asset
