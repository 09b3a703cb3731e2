"""The traditional CLV formula: average order value x purchase frequency x lifetime."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.clv import (
    Purchase,
    traditional_clv,
    traditional_clv_by_segment,
    traditional_clv_from_purchases,
)

from .strategies_clv import histories, prices

YEAR_2024 = {"window_start": date(2024, 1, 1), "window_end": date(2024, 12, 31)}


def test_formula() -> None:
    assert traditional_clv(Decimal("50"), Decimal("4"), Decimal("3")) == Decimal("600")


def test_from_purchases_hand_worked() -> None:
    """2024 has 366 days = 366/365.25 years. Orders of 40, 60, 80 inside it (the 2023 and 2025
    ones are outside): AOV 60, frequency 3 / (366/365.25) a year, lifetime 2 years:
    60 * 3 * 365.25 / 366 * 2 = 359.2622..."""
    history: list[Purchase] = [
        (date(2023, 12, 31), Decimal(1000)),
        (date(2024, 1, 1), Decimal(40)),
        (datetime(2024, 6, 1, 12), Decimal(60)),
        (date(2024, 12, 31), Decimal(80)),
        (date(2025, 1, 1), Decimal(1000)),
    ]
    value = traditional_clv_from_purchases(history, **YEAR_2024, expected_lifetime_years=Decimal(2))
    assert value.quantize(Decimal("0.0001")) == Decimal("359.2623")


def test_no_orders_in_the_window_is_worth_nothing() -> None:
    value = traditional_clv_from_purchases(
        [(date(2020, 1, 1), Decimal(5))], **YEAR_2024, expected_lifetime_years=Decimal(3)
    )
    assert value == 0


def test_window_must_not_be_reversed() -> None:
    with pytest.raises(ValueError, match="before"):
        traditional_clv_from_purchases(
            [],
            window_start=date(2024, 2, 1),
            window_end=date(2024, 1, 1),
            expected_lifetime_years=Decimal(1),
        )


def test_segment_mean_counts_members_without_purchases_and_ignores_outsiders() -> None:
    purchases: dict[str, list[Purchase]] = {
        "ann": [(date(2024, 3, 1), Decimal(100))],
        "bob": [(date(2024, 3, 1), Decimal(300))],
        "cy": [(date(2024, 3, 1), Decimal(900))],
        "stranger": [(date(2024, 3, 1), Decimal(10**6))],
    }
    segments = {"ann": "gold", "bob": "gold", "cy": "silver", "dee": "silver"}
    result = traditional_clv_by_segment(
        purchases, segments, **YEAR_2024, expected_lifetime_years=Decimal(1)
    )
    per_year = Decimal("365.25") / 366
    assert result.keys() == {"gold", "silver"}
    assert result["gold"] == pytest.approx(200 * per_year)
    assert result["silver"] == pytest.approx(450 * per_year)


@given(histories, prices)
def test_value_is_yearly_revenue_times_lifetime(history: list[Purchase], years: Decimal) -> None:
    """AOV x frequency telescopes to revenue per year, whatever the number of orders."""
    start, end = date(2024, 1, 1), date(2025, 12, 31)
    value = traditional_clv_from_purchases(
        history, window_start=start, window_end=end, expected_lifetime_years=years
    )
    revenue = sum(
        (v for m, v in history if start <= (m.date() if isinstance(m, datetime) else m) <= end),
        Decimal(0),
    )
    assert value == pytest.approx(revenue / (Decimal(731) / Decimal("365.25")) * years)


@given(st.lists(prices, min_size=1, max_size=10))
def test_segment_value_is_the_mean_of_its_members(values: list[Decimal]) -> None:
    purchases = {str(i): [(date(2024, 5, 5), v)] for i, v in enumerate(values)}
    segments = {str(i): "s" for i in range(len(values))}
    result = traditional_clv_by_segment(
        purchases, segments, **YEAR_2024, expected_lifetime_years=Decimal(1)
    )
    singles = [
        traditional_clv_from_purchases(p, **YEAR_2024, expected_lifetime_years=Decimal(1))
        for p in purchases.values()
    ]
    assert result["s"] == pytest.approx(sum(singles) / len(singles))
