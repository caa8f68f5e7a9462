"""What the approval engine may read of a requested item, and what its approvers see.

Rules and skip conditions of a chain read these facts (``approvals.conditions``): e.g. a "finance"
stage with ``{"fact": "total", "op": "gt", "value": 1000}``, or a stage skipped when
``{"fact": "variables.needs_admin_rights", "op": "eq", "value": false}``.
"""

from __future__ import annotations

from decimal import Decimal

from service_requests import queries
from service_requests.models import RequestedItem


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def total(item: RequestedItem) -> Decimal | None:
    # Decimal(str(...)): an item just created holds the price as given, not yet as read back from the database.
    return Decimal(str(item.unit_price)) * item.quantity if item.unit_price is not None else None


def facts(item: RequestedItem) -> dict:
    requester = item.requester
    return {
        "catalog_item": item.catalog_item.name,
        "catalog_category": item.catalog_item.category.name,
        "quantity": item.quantity,
        "unit_price": _money(item.unit_price),
        "total": _money(total(item)),
        "cost_centre": item.cost_centre,
        "variables": dict(item.variables or {}),
        "requester_department": requester.department,
        "requester_vip": requester.is_vip,
        "ordered_for_someone_else": bool(item.created_by_id and item.created_by_id != item.requester_id),
        "priority": item.priority,
    }


def summary(item: RequestedItem) -> list[tuple[str, str]]:
    rows = [("Item", f"{item.catalog_item.name} × {item.quantity}" if item.quantity > 1 else item.catalog_item.name),
            ("Requested for", f"{item.requester}{f' ({item.requester.department})' if item.requester.department else ''}")]
    if item.created_by_id and item.created_by_id != item.requester_id:
        rows.append(("Ordered by", str(item.created_by)))
    price = total(item)
    if price is not None:
        rows.append(("Total", f"{price:,.2f}{f' · cost centre {item.cost_centre}' if item.cost_centre else ''}"))
    rows += [(row["label"], row["text"]) for row in queries.answer_rows(item)]
    return rows


def delivery_seconds(item: RequestedItem, metric: str) -> int | None:
    """The catalogue item's expected delivery time is the item's resolution target (sla.targets)."""
    from sla.models import Metric

    hours = item.catalog_item.delivery_target_hours
    return hours * 3600 if metric == Metric.RESOLUTION and hours else None
