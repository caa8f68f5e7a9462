"""Straight-line depreciation: what an asset is worth on a day, from cost to salvage value over its useful life.

Pure arithmetic on ``Decimal`` (no floats, no database). The value drops by equal amounts once per
complete month since the purchase, as fixed-asset registers book it: a month is complete on the
same day of a later month, or on that month's last day when it is shorter (bought 31 January, a
month is complete on 28 February). Results are rounded to cents, half up, and never go below the
salvage value; on the last month of the useful life and after it the value is the salvage value.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def _months_complete(start: date, on: date) -> int:
    """Whole months from ``start`` to ``on`` (``on`` >= ``start``)."""
    months = (on.year - start.year) * 12 + (on.month - start.month)
    last_day = calendar.monthrange(on.year, on.month)[1]
    if on.day < min(start.day, last_day):
        months -= 1
    return months


def value_on(*, cost: Decimal | None, salvage_value: Decimal | None, useful_life_months: int,
             purchase_date: date | None, on: date) -> Decimal | None:
    """The book value on ``on``; None without a cost; the cost before the purchase or without its date."""
    if cost is None:
        return None
    cost = Decimal(cost)
    salvage = Decimal(salvage_value or 0)
    if purchase_date is None or on <= purchase_date or salvage >= cost:
        return cost.quantize(CENT, ROUND_HALF_UP)
    months = _months_complete(purchase_date, on)
    if useful_life_months <= 0 or months >= useful_life_months:
        return salvage.quantize(CENT, ROUND_HALF_UP)
    value = cost - (cost - salvage) * months / useful_life_months
    return max(value.quantize(CENT, ROUND_HALF_UP), salvage.quantize(CENT, ROUND_HALF_UP))


def value_today(asset, today: date | None = None) -> Decimal | None:
    from django.utils import timezone

    return value_on(cost=asset.cost, salvage_value=asset.salvage_value, useful_life_months=asset.useful_life_months,
                    purchase_date=asset.purchase_date, on=today or timezone.localdate())
