"""Recording what discovery reports: installations and patch states, upserted in bulk.

Rows are plain dicts as JSON or a CSV gives them (values may be strings: ``"8"``, ``"2026-01-31"``). Each row
is validated on its own and written in its own savepoint: a bad row is reported with a reason per field and
written not at all, and every other row is applied. The same functions serve the API and a CSV import.

Assets are named by ``asset``: its asset tag, else its serial number, else the name of its CI, in that
order; a CI name two assets share is refused as ambiguous. Users are named by email. A product is named
by vendor + name and is added when unknown (discovery reports what is installed, licensed or not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.db.models.functions import Lower
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import User
from assets.models import Asset, Installation, Patch, PatchState, SoftwareProduct
from assets.software import check_can_manage, patch_errors
from core.exceptions import ValidationFailed

MAX_ROWS = 1000


@dataclass(frozen=True)
class Rejection:
    row: int  # 1-based position in the input
    errors: dict[str, list[str]]


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)


class RowInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _check_rows(rows) -> list:
    if not isinstance(rows, list):
        raise ValidationFailed("Send the rows as a list.", fields={"rows": ["Must be a list."]})
    if not rows:
        raise ValidationFailed("No rows to record.", fields={"rows": ["At least one row is required."]})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"At most {MAX_ROWS} rows at a time.", fields={"rows": [f"At most {MAX_ROWS} rows."]})
    return rows


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    return value.strip() if isinstance(value, str) else "" if value is None else str(value).strip()


def _date(row: dict, name: str, errors: dict) -> date | None:
    value = row.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors[name] = ["Not a date: use YYYY-MM-DD."]
    return parsed


def _count(row: dict, name: str, errors: dict) -> int | None:
    value = row.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        errors[name] = ["Must be a whole number from 1."]
        return None
    return value


class _Assets:
    """Resolve the rows' asset references in one query: tag, then serial, then CI name."""

    def __init__(self, refs):
        refs = {ref for ref in refs if ref}
        found = list(Asset.objects.filter(Q(asset_tag__in=refs) | Q(serial_number__in=refs) | Q(ci__name__in=refs))
                     .select_related("ci")) if refs else []
        self.ids = [a.pk for a in found]
        self.by_tag = {a.asset_tag: a for a in found}
        self.by_serial = {a.serial_number: a for a in found if a.serial_number}
        self.by_ci: dict[str, list[Asset]] = {}
        for asset in found:
            if asset.ci_id:
                self.by_ci.setdefault(asset.ci.name, []).append(asset)

    def resolve(self, ref: str, errors: dict) -> Asset | None:
        if not ref:
            errors["asset"] = ["Name the asset: its asset tag, serial number or CI name."]
            return None
        asset = self.by_tag.get(ref) or self.by_serial.get(ref)
        if asset is None:
            named = self.by_ci.get(ref, [])
            if len(named) > 1:
                errors["asset"] = [f"“{ref}” names the CI of {len(named)} assets: use the asset tag."]
                return None
            asset = named[0] if named else None
        if asset is None:
            errors["asset"] = [f"No asset with the tag, serial number or CI name “{ref}”."]
        return asset


def _apply(report: Report, rows, write) -> Report:
    """Run ``write(row) -> "created" | "updated" | "unchanged"`` per row, each in its own savepoint."""
    with transaction.atomic():
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                report.rejections.append(Rejection(number, {"row": ["Must be an object of fields."]}))
                continue
            try:
                with transaction.atomic():
                    outcome = write(row)
            except RowInvalid as exc:
                report.rejections.append(Rejection(number, exc.errors))
                continue
            except IntegrityError as exc:
                report.rejections.append(Rejection(number, {"row": [f"Could not be stored: {exc.__cause__ or exc}"]}))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def upsert_installations(rows, *, by, source: str = "api") -> Report:
    """Rows: vendor, product, asset (required); version, cores, user (email), last_seen (optional)."""
    check_can_manage(by)
    rows = _check_rows(rows)
    dicts = [row for row in rows if isinstance(row, dict)]
    assets = _Assets(_text(row, "asset") for row in dicts)
    emails = {_text(row, "user").lower() for row in dicts} - {""}
    users = {user.email: user for user in User.objects.filter(email__in=emails)} if emails else {}
    products = {(p.vendor.lower(), p.name.lower()): p for p in SoftwareProduct.objects.annotate(
        lower_name=Lower("name")).filter(lower_name__in={_text(row, "product").lower() for row in dicts})}
    now = timezone.now()

    def write(row):
        errors: dict[str, list[str]] = {}
        unknown = set(row) - {"vendor", "product", "asset", "version", "cores", "user", "last_seen"}
        for name in sorted(unknown):
            errors[name] = ["Unknown field."]
        vendor, name, version = _text(row, "vendor"), _text(row, "product"), _text(row, "version")
        if not vendor:
            errors["vendor"] = ["The product's vendor is required."]
        if not name:
            errors["product"] = ["The product's name is required."]
        if len(vendor) > 120 or len(name) > 200:
            errors.setdefault("product", []).append("Vendor at most 120, name at most 200 characters.")
        if len(version) > 60:
            errors["version"] = ["At most 60 characters."]
        cores = _count(row, "cores", errors)
        asset = assets.resolve(_text(row, "asset"), errors)
        if asset is not None and asset.lifecycle in (Asset.Lifecycle.DISPOSED,):
            errors["asset"] = [f"{asset.asset_tag} is disposed: nothing can be installed on it."]
        email = _text(row, "user").lower()
        user = users.get(email) if email else None
        if email and user is None:
            errors["user"] = [f"No user with the email “{email}”."]
        seen = row.get("last_seen")
        if seen not in (None, ""):
            parsed = parse_datetime(seen) if isinstance(seen, str) else None
            if parsed is None or timezone.is_naive(parsed):
                errors["last_seen"] = ["Not an ISO 8601 date-time with its offset."]
            elif parsed > now:
                errors["last_seen"] = ["Cannot be in the future."]
            seen = parsed
        if errors:
            raise RowInvalid(errors)
        key = (vendor.lower(), name.lower())
        product = products.get(key) or SoftwareProduct.objects.create(vendor=vendor, name=name)
        values = {"version": version, "cores": cores, "user": user, "source": source}
        installation = existing.get((product.pk, asset.pk))
        if installation is None:
            installation = Installation.objects.create(product=product, asset=asset, last_seen=seen or now, **values)
            outcome = "created"
        else:
            changed = any(getattr(installation, field_name) != value
                          for field_name, value in values.items() if field_name != "source")
            for field_name, value in values.items():
                setattr(installation, field_name, value)
            installation.last_seen = seen or now
            installation.save()
            outcome = "updated" if changed else "unchanged"
        # Only once the row's writes are done: a rolled-back row leaves the caches as the database is.
        products[key] = product
        existing[(product.pk, asset.pk)] = installation
        return outcome

    with transaction.atomic():
        # The batch's installations, locked in id order (so two imports cannot deadlock), read once.
        existing = {(i.product_id, i.asset_id): i for i in Installation.objects.select_for_update().filter(
            asset__in=assets.ids, product__in=[p.pk for p in products.values()]).order_by("pk")}
        return _apply(Report(), rows, write)


def upsert_patch_states(rows, *, by, source: str = "api") -> Report:
    """Rows: patch_id, asset, state (required); installed_on; and, to describe (or add) the patch: product,
    severity, title, released_on. An unknown patch needs product and severity to be added."""
    check_can_manage(by)
    rows = _check_rows(rows)
    dicts = [row for row in rows if isinstance(row, dict)]
    assets = _Assets(_text(row, "asset") for row in dicts)
    patches = {p.patch_id.lower(): p for p in Patch.objects.annotate(lower_id=Lower("patch_id")).filter(
        lower_id__in={_text(row, "patch_id").lower() for row in dicts})}
    today = timezone.localdate()
    fields = {"patch_id", "asset", "state", "installed_on", "product", "severity", "title", "released_on"}

    def write(row):
        errors: dict[str, list[str]] = {name: ["Unknown field."] for name in sorted(set(row) - fields)}
        patch_id, state = _text(row, "patch_id"), _text(row, "state")
        asset = assets.resolve(_text(row, "asset"), errors)
        if state not in PatchState.State.values:
            errors["state"] = [f"Must be one of: {', '.join(PatchState.State.values)}."]
        installed_on = _date(row, "installed_on", errors)
        released_on = _date(row, "released_on", errors)
        patch = patches.get(patch_id.lower())
        described = {"product": _text(row, "product"), "severity": _text(row, "severity").lower(),
                     "title": _text(row, "title")}
        if patch is None or any(described.values()) or released_on:
            current = {"product": patch.product, "severity": patch.severity} if patch else {}
            for name, error in patch_errors(patch_id=patch_id, product=described["product"] or current.get("product", ""),
                                            severity=described["severity"] or current.get("severity", ""),
                                            released_on=released_on).items():
                errors.setdefault(name, error)
        if len(described["title"]) > 300:
            errors["title"] = ["At most 300 characters."]
        if installed_on and state == PatchState.State.MISSING:
            errors["installed_on"] = ["A missing patch has no installed date."]
        elif installed_on and installed_on > today:
            errors["installed_on"] = ["Cannot be in the future."]
        else:
            released = released_on or (patch.released_on if patch else None)
            if installed_on and released and installed_on < released:
                errors["installed_on"] = [f"Before the patch was released ({released.isoformat()})."]
        if errors:
            raise RowInvalid(errors)
        changes = {}
        if patch is None:
            patch = Patch.objects.create(patch_id=patch_id, product=described["product"],
                                         severity=described["severity"], title=described["title"],
                                         released_on=released_on)
        else:
            changes = {name: value for name, value in {**described, "released_on": released_on}.items()
                       if value and getattr(patch, name) != value}
            if changes:
                Patch.objects.filter(pk=patch.pk).update(**changes)
        reported = states.get((asset.pk, patch.pk))
        if reported is None:
            reported = PatchState.objects.create(asset=asset, patch=patch, state=state, installed_on=installed_on,
                                                 source=source)
            outcome = "created"
        else:
            changed = (reported.state, reported.installed_on) != (state, installed_on)
            reported.state, reported.installed_on, reported.source = state, installed_on, source
            reported.reported_at = timezone.now()
            reported.save()
            outcome = "updated" if changed else "unchanged"
        # Only once the row's writes are done, so a rolled-back row leaves the caches as the database is.
        for name, value in changes.items():
            setattr(patch, name, value)
        patches[patch_id.lower()] = patch
        states[(asset.pk, patch.pk)] = reported
        return outcome

    with transaction.atomic():
        # The batch's patch states, locked in id order (so two imports cannot deadlock), read once.
        states = {(s.asset_id, s.patch_id): s for s in PatchState.objects.select_for_update().filter(
            asset__in=assets.ids, patch__in=[p.pk for p in patches.values()]).order_by("pk")}
        return _apply(Report(), rows, write)
