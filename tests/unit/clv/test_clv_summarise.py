"""summarise(): recency/frequency/T/monetary from a purchase history."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.clv import CustomerSummary, Purchase, TimeUnit, summarise

from .strategies_clv import AS_OF, histories

DATA = Path(__file__).resolve().parents[2] / "data"


def _summary(history: list[Purchase], unit: TimeUnit = TimeUnit.WEEKS) -> CustomerSummary:
    result = summarise(history, customer_id="c", as_of=AS_OF, unit=unit)
    assert result is not None
    return result


def test_hand_worked_example_matches_lifetimes() -> None:
    """Worked by hand; lifetimes 0.11.3 ``summary_data_from_transaction_data`` (freq="D",
    freq_multiplier=7 and 1, observation_period_end=2024-01-29) gives the same figures.

    Jan 1 (10 + 5, same day: one transaction of 15), Jan 8 (20), Jan 15 (30), Jan 29 (40, on
    the as-of day: counted), Feb 5 (99, after it: ignored). Three repeat days, the last 28 days
    after the first, which is also T; mean repeat value (20 + 30 + 40) / 3 = 30.
    """
    history: list[Purchase] = [
        (datetime(2024, 1, 15, 23, 59), Decimal(30)),
        (datetime(2024, 1, 1, 9, 0), Decimal(10)),
        (datetime(2024, 1, 1, 18, 30, tzinfo=UTC), Decimal(5)),
        (date(2024, 1, 8), Decimal(20)),
        (datetime(2024, 2, 5), Decimal(99)),
        (datetime(2024, 1, 29, 12, 0), Decimal(40)),
    ]
    as_of = date(2024, 1, 29)
    weeks = summarise(history, customer_id="c", as_of=as_of, unit=TimeUnit.WEEKS)
    days = summarise(history, customer_id="c", as_of=as_of, unit=TimeUnit.DAYS)
    assert weeks == CustomerSummary(
        customer_id="c", frequency=3, recency=4.0, T=4.0, monetary_value=Decimal(30)
    )
    assert days == CustomerSummary(
        customer_id="c", frequency=3, recency=28.0, T=28.0, monetary_value=Decimal(30)
    )


def test_single_purchase_and_first_purchase_day_values() -> None:
    history: list[Purchase] = [(date(2024, 1, 1), Decimal(7)), (date(2024, 1, 1), Decimal(3))]
    result = summarise(history, customer_id="c", as_of=date(2024, 1, 15), unit=TimeUnit.DAYS)
    assert result == CustomerSummary(
        customer_id="c", frequency=0, recency=0.0, T=14.0, monetary_value=Decimal(0)
    )


def test_no_purchase_by_the_as_of_date_is_none() -> None:
    assert summarise([], customer_id="c", as_of=AS_OF) is None
    later: list[Purchase] = [(date(2026, 2, 1), Decimal(5))]
    assert summarise(later, customer_id="c", as_of=date(2026, 1, 31)) is None


def _cdnow_transactions() -> dict[str, list[Purchase]]:
    history: dict[str, list[Purchase]] = defaultdict(list)
    with (DATA / "cdnow_sample.txt").open() as lines:
        for line in lines:
            _, customer, day, _, value = line.split()
            when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            history[str(int(customer))].append((when, Decimal(value)))
    return history


def test_cdnow_transactions_give_the_published_summary() -> None:
    """The 2,357 CDNOW sample customers summarised as of 1997-09-30 (end of the 39-week
    calibration period) reproduce Fader & Hardie's summary (x, t_x, T in weeks and zbar, to
    the 2 decimals published); 177 customer-days there hold several purchases."""
    history = _cdnow_transactions()
    with (DATA / "cdnow_summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2357
    for row in rows:
        s = summarise(history[row["ID"]], customer_id=row["ID"], as_of=date(1997, 9, 30))
        assert s is not None
        got = (
            s.frequency,
            round(s.recency, 2),
            round(s.T, 2),
            s.monetary_value.quantize(Decimal("0.01"), ROUND_HALF_UP),
        )
        assert got == (int(row["x"]), float(row["t_x"]), float(row["T"]), Decimal(row["zbar"]))


@given(histories)
def test_invariants(history: list[Purchase]) -> None:
    counted = [(m, v) for m, v in history if _day(m) <= AS_OF]
    result = summarise(history, customer_id="c", as_of=AS_OF)
    if not counted:
        assert result is None
        return
    assert result is not None
    purchase_days = sorted({_day(m) for m, _ in counted})
    assert result.frequency == len(purchase_days) - 1
    assert 0 <= result.recency <= result.T
    assert (AS_OF - purchase_days[0]).days / 7 == result.T
    assert result.recency == (purchase_days[-1] - purchase_days[0]).days / 7
    if result.frequency == 0:
        assert result.recency == 0
        assert result.monetary_value == 0
    else:
        first_day_total = sum((v for m, v in counted if _day(m) == purchase_days[0]), Decimal(0))
        repeat_total = sum((v for _, v in counted), Decimal(0)) - first_day_total
        assert result.monetary_value == repeat_total / result.frequency


@given(histories, st.randoms(use_true_random=False))
def test_order_does_not_matter(history: list[Purchase], rng: random.Random) -> None:
    shuffled = list(history)
    rng.shuffle(shuffled)
    assert summarise(shuffled, customer_id="c", as_of=AS_OF) == summarise(
        history, customer_id="c", as_of=AS_OF
    )


@given(histories, st.data())
def test_splitting_a_purchase_within_its_day_changes_nothing(
    history: list[Purchase], data: st.DataObject
) -> None:
    if not history:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(history) - 1))
    moment, value = history[index]
    part = data.draw(st.decimals(min_value=0, max_value=value, places=2))
    split = [*history[:index], (moment, part), (_day(moment), value - part), *history[index + 1 :]]
    assert summarise(split, customer_id="c", as_of=AS_OF) == summarise(
        history, customer_id="c", as_of=AS_OF
    )


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def test_summary_rejects_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="after T"):
        CustomerSummary(customer_id="c", frequency=1, recency=5.0, T=4.0)
    with pytest.raises(ValueError, match="recency 0"):
        CustomerSummary(customer_id="c", frequency=0, recency=1.0, T=4.0)
    with pytest.raises(ValueError, match="finite"):
        CustomerSummary(customer_id="c", frequency=1, recency=1.0, T=float("inf"))
