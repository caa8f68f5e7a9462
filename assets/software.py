"""Writes for software products, their entitlements and patches, as the desk and the API make them by hand.

Bulk data from discovery (installations, patch states) goes through ``assets.recording`` instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assets.models import Contract, Entitlement, Patch, SoftwareProduct
from core.exceptions import NotPermitted, ValidationFailed


def check_can_manage(by) -> None:
    if not getattr(by, "is_agent", False):
        raise NotPermitted("Software licences and patches are managed by agents.")


def _required_text(errors: dict, name: str, value, label: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[name] = [f"{label} is required."]
    return value


def save_product(*, by, product: SoftwareProduct | None = None, name: str, vendor: str) -> SoftwareProduct:
    """Create a product, or rename ``product``; vendor + name are unique whatever their case."""
    check_can_manage(by)
    errors: dict[str, list[str]] = {}
    name = _required_text(errors, "name", name, "A name")
    vendor = _required_text(errors, "vendor", vendor, "A vendor")
    if errors:
        raise ValidationFailed("The product is incomplete.", fields=errors)
    with transaction.atomic():
        clash = SoftwareProduct.objects.filter(vendor__iexact=vendor, name__iexact=name)
        if product is not None:
            clash = clash.exclude(pk=product.pk)
        existing = clash.first()
        if existing is not None:
            raise ValidationFailed("That product exists already.",
                                   fields={"name": [f"{existing.vendor} already has a product named “{existing.name}”."]})
        product = product or SoftwareProduct()
        product.name, product.vendor = name, vendor
        product.save()
    return product


def delete_product(*, by, product: SoftwareProduct) -> None:
    """Refused while licences are recorded for it: deleting them would lose what was bought."""
    check_can_manage(by)
    if product.entitlements.exists():
        raise ValidationFailed("Remove the product's entitlements first: they record licences bought.",
                               fields={"entitlements": ["The product still has entitlements."]})
    product.delete()


def save_entitlement(*, by, product: SoftwareProduct, metric: str, quantity: int, unit_cost: Decimal | None = None,
                     starts_on: date | None = None, ends_on: date | None = None, reference: str = "",
                     contract: Contract | None = None, entitlement: Entitlement | None = None) -> Entitlement:
    check_can_manage(by)
    errors: dict[str, list[str]] = {}
    if metric not in Entitlement.Metric.values:
        errors["metric"] = [f"Must be one of: {', '.join(Entitlement.Metric.values)}."]
    if quantity is None or isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        errors["quantity"] = ["Must be a whole number of at least 1."]
    unit_cost = Decimal("0") if unit_cost is None else Decimal(unit_cost)
    if unit_cost < 0 or unit_cost != unit_cost.quantize(Decimal("0.01")) or unit_cost >= Decimal("1e10"):
        errors["unit_cost"] = ["Must be an amount from 0, with at most two decimals."]
    if metric == Entitlement.Metric.SUBSCRIPTION and ends_on is None:
        errors["ends_on"] = ["A subscription needs the date it ends."]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ["Must not be before the start."]
    if errors:
        raise ValidationFailed("The entitlement is not valid.", fields=errors)
    entitlement = entitlement or Entitlement()
    for name, value in (("product", product), ("metric", metric), ("quantity", quantity), ("unit_cost", unit_cost),
                        ("starts_on", starts_on), ("ends_on", ends_on), ("reference", (reference or "").strip()),
                        ("contract", contract)):
        setattr(entitlement, name, value)
    entitlement.save()
    return entitlement


def delete_entitlement(*, by, entitlement: Entitlement) -> None:
    check_can_manage(by)
    entitlement.delete()


def patch_errors(*, patch_id: str, product: str, severity: str, released_on: date | None) -> dict[str, list[str]]:
    """What is wrong with a patch's description (shared by the API's create and bulk patch states)."""
    errors = {}
    if not patch_id:
        errors["patch_id"] = ["A patch id is required."]
    elif len(patch_id) > 60:
        errors["patch_id"] = ["At most 60 characters."]
    if not product:
        errors["product"] = ["The product the patch is for is required."]
    elif len(product) > 200:
        errors["product"] = ["At most 200 characters."]
    if severity not in Patch.Severity.values:
        errors["severity"] = [f"Unknown severity “{severity}”: one of {', '.join(Patch.Severity.values)}."]
    if released_on and released_on > timezone.localdate():
        errors["released_on"] = ["A release date cannot be in the future."]
    return errors


def create_patch(*, by, patch_id: str, product: str, severity: str, title: str = "",
                 released_on: date | None = None) -> Patch:
    check_can_manage(by)
    patch_id, product, title = patch_id.strip(), product.strip(), (title or "").strip()
    errors = patch_errors(patch_id=patch_id, product=product, severity=severity, released_on=released_on)
    if not errors and Patch.objects.filter(patch_id__iexact=patch_id).exists():
        errors["patch_id"] = [f"A patch “{patch_id}” exists already."]
    if len(title) > 300:
        errors["title"] = ["At most 300 characters."]
    if errors:
        raise ValidationFailed("The patch is not valid.", fields=errors)
    return Patch.objects.create(patch_id=patch_id, product=product, severity=severity, title=title,
                                released_on=released_on)
