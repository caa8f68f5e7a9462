from datetime import date
from decimal import Decimal

import pytest

from assets.depreciation import value_on


def value(on, *, cost="1200.00", salvage="0", life=36, bought=date(2024, 1, 31)):
    return value_on(cost=None if cost is None else Decimal(cost), salvage_value=Decimal(salvage),
                    useful_life_months=life, purchase_date=bought, on=on)


@pytest.mark.parametrize(("on", "expected"), [
    (date(2023, 12, 1), "1200.00"),   # before the purchase: the cost
    (date(2024, 1, 31), "1200.00"),   # the day of purchase
    (date(2024, 2, 28), "1200.00"),   # 2024 is a leap year: the month completes on the 29th
    (date(2024, 2, 29), "1166.67"),   # one month of 36: 1200 - 33.333... rounded half up
    (date(2024, 4, 30), "1100.00"),   # a 30-day month completes on its last day
    (date(2026, 12, 31), "33.33"),    # month 35 of 36
    (date(2027, 1, 31), "0.00"),      # end of life: the salvage value
    (date(2030, 1, 1), "0.00"),       # after it
])
def test_straight_line_by_complete_months(on, expected):
    assert value(on) == Decimal(expected)


def test_never_below_salvage_and_rounded_to_cents():
    assert value(date(2024, 7, 31), cost="1000.00", salvage="100.00", life=7) == Decimal("228.57")  # 1000-900*6/7
    assert value(date(2024, 8, 31), cost="1000.00", salvage="100.00", life=7) == Decimal("100.00")
    assert value(date(2025, 1, 1), cost="999.99", salvage="999.99") == Decimal("999.99")


def test_no_cost_is_none_and_no_purchase_date_is_the_cost():
    assert value(date(2025, 1, 1), cost=None) is None
    assert value(date(2025, 1, 1), bought=None) == Decimal("1200.00")
