"""Support, lease and warranty contracts with the assets they cover: validated whole, saved in one transaction.

A contract that duplicates another is refused: the same vendor's contract of the same kind covering
the same asset over an overlapping period (a second warranty for the same laptop from the same
vendor is a data-entry error, while a hardware warranty and an OS support contract may overlap).
Moving the end date re-arms the renewal reminder (``Contract.reminded_for``; see ``assets.reminders``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from assets.models import Asset, Contract
from assets.services import check_can_edit
from core.exceptions import ValidationFailed

FIELDS = ("kind", "number", "vendor", "starts_on", "ends_on", "cost", "renewal_notice_days", "owner", "notes")


def _asset_ids(assets) -> list[int]:
    return list(dict.fromkeys(getattr(asset, "pk", asset) for asset in assets))


def _validate(contract: Contract, asset_ids: list[int]) -> list[Asset]:
    errors: dict[str, list[str]] = {}
    try:
        contract.full_clean(exclude=["owner", "assets"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as error:
        errors.update({name: list(messages) for name, messages in error.message_dict.items()})
    if not errors.get("number") and not (contract.number or "").strip():
        errors["number"] = ["A contract needs a number."]
    if contract.starts_on and contract.ends_on and "starts_on" not in errors and "ends_on" not in errors \
            and contract.ends_on < contract.starts_on:
        errors["ends_on"] = ["The contract cannot end before it starts."]
    if contract.cost is not None and "cost" not in errors and contract.cost < 0:
        errors["cost"] = ["The cost cannot be negative."]
    if contract.owner_id and not contract.owner.is_active:
        errors["owner"] = [f"{contract.owner} is deactivated; choose someone active."]
    bad_ids = [value for value in asset_ids if not isinstance(value, int) or isinstance(value, bool)]
    assets = list(Asset.objects.filter(pk__in=[v for v in asset_ids if v not in bad_ids]))
    unknown = sorted(set(asset_ids) - {asset.pk for asset in assets} - set(bad_ids), key=str) + bad_ids
    if unknown:
        errors["assets"] = [f"Unknown asset{'s' if len(unknown) > 1 else ''}: {', '.join(map(str, unknown))}."]
    if not errors:
        duplicates = (Contract.objects.filter(kind=contract.kind, vendor__iexact=contract.vendor.strip(),
                                              assets__in=assets, starts_on__lte=contract.ends_on,
                                              ends_on__gte=contract.starts_on)
                      .exclude(pk=contract.pk).values_list("number", "assets__asset_tag").distinct()[:5])
        if duplicates:
            listed = "; ".join(f"{tag} by {number}" for number, tag in duplicates)
            errors["assets"] = [f"Already covered by another {contract.get_kind_display().lower()} contract of "
                                f"{contract.vendor} in this period: {listed}."]
    if errors:
        raise ValidationFailed("The contract is not valid.", fields=errors)
    return assets


def _save(contract: Contract) -> None:
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as error:
        if "contract_number_uniq" in str(error):
            raise ValidationFailed("This vendor's contract number exists already.", fields={
                "number": [f"{contract.vendor} already has a contract {contract.number!r}."]}) from None
        raise


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed("Unknown contract fields.",
                               fields={name: ["Not a field of a contract."] for name in sorted(unknown)})
    fields = dict(fields)
    for name in ("number", "vendor"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    return fields


@transaction.atomic
def create_contract(*, by, assets=(), **fields) -> Contract:
    check_can_edit(by)
    fields = _clean(fields)
    contract = Contract(**fields)
    found = _validate(contract, _asset_ids(assets))
    _save(contract)
    contract.assets.set(found)
    return contract


@transaction.atomic
def update_contract(contract: Contract, *, by, assets=None, **fields) -> Contract:
    """Change fields (and, when given, the assets covered: the whole set). A new end date re-arms the reminder."""
    check_can_edit(by)
    fields = _clean(fields)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    old_end = contract.ends_on
    for name, value in fields.items():
        setattr(contract, name, value)
    asset_ids = _asset_ids(assets) if assets is not None else list(contract.assets.values_list("pk", flat=True))
    found = _validate(contract, asset_ids)
    if contract.ends_on != old_end:
        contract.reminded_for = None
    _save(contract)
    if assets is not None:
        contract.assets.set(found)
    return contract

