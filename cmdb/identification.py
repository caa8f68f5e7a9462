"""The tenant's reconciliation settings: which identification rules imports use, in which order, and
after how many days unseen a live CI counts as stale. Tenant admins change them in the desk settings."""

from __future__ import annotations

from django.db import transaction

from cmdb import queries
from cmdb.models import CMDBSettings
from core.exceptions import NotPermitted, ValidationFailed

MAX_STALE_DAYS = 3650


@transaction.atomic
def save_settings(*, by, identification_rules: list[str], stale_after_days: int) -> CMDBSettings:
    if not getattr(by, "is_tenant_admin", False):
        raise NotPermitted("CMDB settings are for tenant admins.")
    errors: dict[str, list[str]] = {}
    unknown = [rule for rule in identification_rules if rule not in CMDBSettings.RULES]
    if unknown:
        errors["identification_rules"] = [f"Unknown rule{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."]
    elif not identification_rules:
        errors["identification_rules"] = ["Keep at least one rule, or every import row would be a new CI."]
    elif len(set(identification_rules)) != len(identification_rules):
        errors["identification_rules"] = ["Each rule may appear once."]
    if not isinstance(stale_after_days, int) or not 1 <= stale_after_days <= MAX_STALE_DAYS:
        errors["stale_after_days"] = [f"A whole number of days from 1 to {MAX_STALE_DAYS}."]
    if errors:
        raise ValidationFailed("The CMDB settings were not saved.", fields=errors)
    row = CMDBSettings.objects.select_for_update().get(pk=queries.settings().pk)
    row.identification_rules = list(identification_rules)
    row.stale_after_days = stale_after_days
    row.save(update_fields=["identification_rules", "stale_after_days"])
    return row
