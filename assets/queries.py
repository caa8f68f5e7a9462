"""Read paths of asset management: each page and endpoint asks here for exactly what it shows."""

from __future__ import annotations

import datetime

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from assets.models import Asset, AssetHistory, Contract

WARRANTY_SOON_DAYS = 30


def assets() -> QuerySet:
    """Asset rows with what a list shows: the assigned user and the CI (with its class)."""
    return Asset.objects.select_related("assigned_to", "ci__ci_class").order_by("asset_tag", "id")


def asset_detail() -> QuerySet:
    return assets().prefetch_related(
        Prefetch("contracts", queryset=Contract.objects.order_by("ends_on", "id")),
        Prefetch("history", queryset=AssetHistory.objects.select_related("author").order_by("created_at", "id")))


def contracts() -> QuerySet:
    """Ending soonest first (the ones to act on), with how many assets each covers."""
    return (Contract.objects.select_related("owner").annotate(asset_count=Count("assets"))
            .order_by("ends_on", "id"))


def contract_detail() -> QuerySet:
    return Contract.objects.select_related("owner").prefetch_related(
        Prefetch("assets", queryset=Asset.objects.select_related("assigned_to").order_by("asset_tag")))


def warranty_status(warranty_end: datetime.date | None, today: datetime.date | None = None) -> tuple[str, str]:
    """("none" | "active" | "ending" | "expired", the words a page shows)."""
    if warranty_end is None:
        return "none", "No warranty recorded"
    today = today or timezone.localdate()
    left = (warranty_end - today).days
    if left < 0:
        return "expired", f"Expired on {warranty_end:%d %b %Y}"
    if left <= WARRANTY_SOON_DAYS:
        return "ending", f"Ends in {left} day{'s' if left != 1 else ''} ({warranty_end:%d %b %Y})"
    return "active", f"Until {warranty_end:%d %b %Y}"


def assignable_users() -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True).exclude(role="operator").order_by("full_name", "email")
