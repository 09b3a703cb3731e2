"""RFM (C7): the eight segments, quintiles and the active/sleeping split."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.rfm import (
    RfmSegment,
    active_split,
    classify,
    compute_rfm,
    quintile_scores,
    segment_counts,
)
from tests.strategies import RFM_AS_OF, transaction_histories

INF = 10**9

#: PRODUCT.md's table as data: (segment, F from, F to, R from, R to), half-open R ranges,
#: inclusive F ranges, evaluated in order. Written independently of ``classify``.
TABLE = [
    (RfmSegment.VIP, 10, INF, 0, 30),
    (RfmSegment.LOYAL, 3, 9, 0, 30),
    (RfmSegment.AT_RISK, 3, INF, 30, 60),
    (RfmSegment.LOST, 3, INF, 60, INF),
    (RfmSegment.NEWBIE, 1, 1, 0, 30),
    (RfmSegment.PROMISING, 2, 2, 0, 30),
    (RfmSegment.DRIFTING, 1, 2, 30, 60),
    (RfmSegment.SLEEPING, 1, 2, 60, INF),
]


def brute_force(history: list[tuple[str, datetime, Decimal]], as_of: date) -> dict[str, RfmSegment]:
    """Scan the raw facts customer by customer and walk the table."""
    out: dict[str, RfmSegment] = {}
    for customer in {c for c, _, _ in history}:
        days = [
            (as_of - at.date()).days for c, at, _ in history if c == customer and at.date() <= as_of
        ]
        if not days:
            continue
        f, r = len(days), min(days)
        matching = [s for s, f0, f1, r0, r1 in TABLE if f0 <= f <= f1 and r0 <= r < r1]
        out[customer] = matching[0]
    return out


@given(transaction_histories())
def test_every_customer_lands_in_the_segment_the_table_gives(
    history: list[tuple[str, datetime, Decimal]],
) -> None:
    rows = compute_rfm(history, as_of=RFM_AS_OF)
    assert {r.customer: r.segment for r in rows} == brute_force(history, RFM_AS_OF)
    assert sum(segment_counts(rows).values()) == len(rows)


@given(st.integers(1, 50), st.integers(0, 400))
def test_exactly_one_segment_holds_for_any_f_and_r(frequency: int, recency: int) -> None:
    holding = [s for s, f0, f1, r0, r1 in TABLE if f0 <= frequency <= f1 and r0 <= recency < r1]
    assert len(holding) == 1
    assert classify(frequency, recency) is holding[0]


@pytest.mark.parametrize(
    ("frequency", "recency", "segment"),
    [
        (10, 29, RfmSegment.VIP),
        (10, 30, RfmSegment.AT_RISK),
        (9, 0, RfmSegment.LOYAL),
        (3, 59, RfmSegment.AT_RISK),
        (3, 60, RfmSegment.LOST),
        (1, 29, RfmSegment.NEWBIE),
        (2, 29, RfmSegment.PROMISING),
        (1, 30, RfmSegment.DRIFTING),
        (2, 59, RfmSegment.DRIFTING),
        (2, 60, RfmSegment.SLEEPING),
    ],
)
def test_boundaries_are_half_open(frequency: int, recency: int, segment: RfmSegment) -> None:
    assert classify(frequency, recency) is segment


def test_transactions_after_as_of_do_not_count() -> None:
    at = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    history = [("a", at, Decimal(1)), ("a", at + timedelta(minutes=2), Decimal(1))]
    (row,) = compute_rfm(history, as_of=date(2026, 3, 31))
    assert (row.frequency, row.recency, row.segment) == (1, 0, RfmSegment.NEWBIE)


def test_a_customer_without_transactions_cannot_be_classified() -> None:
    with pytest.raises(ValueError):
        classify(0, 3)


@given(transaction_histories())
def test_quintile_scores_are_one_to_five_and_monotonic(
    history: list[tuple[str, datetime, Decimal]],
) -> None:
    rows = compute_rfm(history, as_of=RFM_AS_OF)
    scores = quintile_scores(rows)
    assert set(scores) == {r.customer for r in rows}
    for a in rows:
        sa = scores[a.customer]
        assert all(1 <= s <= 5 for s in (sa.recency, sa.frequency, sa.monetary))
        for b in rows:
            sb = scores[b.customer]
            if a.frequency > b.frequency:
                assert sa.frequency >= sb.frequency
            if a.frequency == b.frequency:
                assert sa.frequency == sb.frequency
            if a.recency < b.recency:
                assert sa.recency >= sb.recency
            if a.monetary > b.monetary:
                assert sa.monetary >= sb.monetary


def test_quintiles_split_distinct_values_evenly() -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    history = [(f"c{i}", base, Decimal(i)) for i in range(10)]
    scores = quintile_scores(compute_rfm(history, as_of=date(2026, 3, 31)))
    assert sorted(s.monetary for s in scores.values()) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@given(transaction_histories())
def test_active_means_a_transaction_in_the_last_30_days(
    history: list[tuple[str, datetime, Decimal]],
) -> None:
    rows = compute_rfm(history, as_of=RFM_AS_OF)
    active, sleeping = active_split(rows)
    recent = {c for c, at, _ in history if 0 <= (RFM_AS_OF - at.date()).days < 30}
    assert active == len(recent)
    assert active + sleeping == len(rows)
