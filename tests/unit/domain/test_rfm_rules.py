"""RFM (C7) pinned: every F and R band on, below and above its line, M equal to the sum of the
amounts, the as-of window's instants, quintiles and counts by worked examples.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given

from crmcore.domain.rfm import (
    CustomerRfm,
    RfmCounts,
    RfmScores,
    RfmSegment,
    active_split,
    classify,
    compute_rfm,
    cutoff,
    day_start,
    quintile_scores,
    recency_days,
    recent_since,
    rfm_of,
    segment_counts,
)
from tests.strategies import RFM_AS_OF, transaction_histories

AS_OF = date(2026, 3, 31)
MIDNIGHT = datetime(2026, 3, 31, tzinfo=UTC)

#: C7's table written out for the band edges: F 1, 2, 3, 9, 10, 11 against R 0, 29, 30, 59, 60, 61.
GRID = {
    1: ["newbie", "newbie", "drifting", "drifting", "sleeping", "sleeping"],
    2: ["promising", "promising", "drifting", "drifting", "sleeping", "sleeping"],
    3: ["loyal", "loyal", "at_risk", "at_risk", "lost", "lost"],
    9: ["loyal", "loyal", "at_risk", "at_risk", "lost", "lost"],
    10: ["vip", "vip", "at_risk", "at_risk", "lost", "lost"],
    11: ["vip", "vip", "at_risk", "at_risk", "lost", "lost"],
}
RECENCIES = [0, 29, 30, 59, 60, 61]


@pytest.mark.parametrize("frequency", sorted(GRID))
def test_every_band_edge_of_the_segment_table(frequency: int) -> None:
    got = [str(classify(frequency, r)) for r in RECENCIES]
    assert got == GRID[frequency]


@pytest.mark.parametrize(("frequency", "recency"), [(0, 0), (1, -1), (-1, 5)])
def test_no_segment_without_a_past_transaction(frequency: int, recency: int) -> None:
    message = "^a customer in RFM has at least one transaction, not in the future$"
    with pytest.raises(ValueError, match=message):
        classify(frequency, recency)


@given(transaction_histories())
def test_f_r_and_m_are_the_count_the_latest_and_the_sum(
    history: list[tuple[str, datetime, Decimal]],
) -> None:
    end = datetime(RFM_AS_OF.year, RFM_AS_OF.month, RFM_AS_OF.day, tzinfo=UTC) + timedelta(days=1)
    counted = [(c, at, amount) for c, at, amount in history if at < end]
    rows = {row.customer: row for row in compute_rfm(history, as_of=RFM_AS_OF)}
    assert set(rows) == {c for c, _, _ in counted}
    for customer, row in rows.items():
        mine = [(at, amount) for c, at, amount in counted if c == customer]
        total = Decimal(0)
        for _, amount in mine:
            total += amount
        assert row.monetary == total
        assert row.frequency == len(mine)
        assert row.last_at == max(at for at, _ in mine)
        assert row.recency == (RFM_AS_OF - row.last_at.date()).days
        assert row.segment is classify(row.frequency, row.recency)


def test_a_worked_history() -> None:
    history = [
        ("ann", MIDNIGHT - timedelta(days=40), Decimal("10.50")),
        ("ann", MIDNIGHT - timedelta(days=2, seconds=1), Decimal("4.25")),
        ("bob", MIDNIGHT - timedelta(days=70), Decimal("-3")),
        ("ann", MIDNIGHT + timedelta(days=1), Decimal("99")),  # after as_of: ignored
    ]
    rows = {r.customer: r for r in compute_rfm(history, as_of=AS_OF)}
    ann, bob = rows["ann"], rows["bob"]
    assert (ann.frequency, ann.recency, ann.monetary, ann.segment) == (
        2,
        3,  # 2 days and a second before midnight of the 31st is on the 28th
        Decimal("14.75"),
        RfmSegment.PROMISING,
    )
    assert ann.last_at == MIDNIGHT - timedelta(days=2, seconds=1)
    assert (bob.frequency, bob.recency, bob.monetary, bob.segment) == (
        1,
        70,
        Decimal(-3),
        RfmSegment.SLEEPING,
    )
    assert ann.active
    assert not bob.active


def test_the_last_transaction_is_the_latest_whatever_the_order() -> None:
    late, early = MIDNIGHT - timedelta(days=1), MIDNIGHT - timedelta(days=5)
    (row,) = compute_rfm([("a", late, Decimal(1)), ("a", early, Decimal(2))], as_of=AS_OF)
    assert (row.last_at, row.recency) == (late, 1)


def test_of_two_equal_latest_instants_the_first_listed_is_kept() -> None:
    utc = MIDNIGHT - timedelta(hours=12)
    paris = utc.astimezone(timezone(timedelta(hours=1)))
    (row,) = compute_rfm([("a", utc, Decimal(1)), ("a", paris, Decimal(1))], as_of=AS_OF)
    assert row.last_at.utcoffset() == timedelta(0)
    (row,) = compute_rfm([("a", paris, Decimal(1)), ("a", utc, Decimal(1))], as_of=AS_OF)
    assert row.last_at.utcoffset() == timedelta(hours=1)


def test_the_window_ends_at_the_midnight_after_as_of() -> None:
    assert day_start(AS_OF) == MIDNIGHT
    assert cutoff(AS_OF) == MIDNIGHT + timedelta(days=1)
    last_second = MIDNIGHT + timedelta(days=1, microseconds=-1)
    rows = compute_rfm(
        [("a", last_second, Decimal(1)), ("a", cutoff(AS_OF), Decimal(1))], as_of=AS_OF
    )
    assert [(r.frequency, r.recency) for r in rows] == [(1, 0)]


@pytest.mark.parametrize("days", [1, 30, 60])
def test_recent_since_is_the_first_instant_under_the_recency(days: int) -> None:
    start = recent_since(AS_OF, days)
    assert start == MIDNIGHT - timedelta(days=days - 1)
    assert recency_days(start, AS_OF) == days - 1
    assert recency_days(start - timedelta(microseconds=1), AS_OF) == days


def test_recency_counts_utc_calendar_days_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # 20:00 UTC on the 30th is already the 31st in Tokyo; RFM counts the UTC day
        assert recency_days(datetime(2026, 3, 30, 20, 0, tzinfo=UTC), AS_OF) == 1
    finally:
        monkeypatch.undo()
        time.tzset()


def test_recency_counts_utc_calendar_days() -> None:
    east = timezone(timedelta(hours=5))
    # 02:00 on the 31st at UTC+5 is 21:00 on the 30th in UTC: one day ago
    assert recency_days(datetime(2026, 3, 31, 2, 0, tzinfo=east), AS_OF) == 1
    west = timezone(timedelta(hours=-5))
    # 22:00 on the 30th at UTC-5 is 03:00 on the 31st in UTC: today
    assert recency_days(datetime(2026, 3, 30, 22, 0, tzinfo=west), AS_OF) == 0


@pytest.mark.parametrize(("recency", "active"), [(0, True), (29, True), (30, False), (31, False)])
def test_active_means_a_transaction_under_30_days_old(recency: int, active: bool) -> None:
    row = rfm_of("c", 1, MIDNIGHT - timedelta(days=recency), Decimal(5), AS_OF)
    assert (row.recency, row.active) == (recency, active)
    assert active_split([row]) == ((1, 0) if active else (0, 1))


def test_segment_counts_list_every_segment_in_table_order() -> None:
    rows = [
        rfm_of(c, f, MIDNIGHT - timedelta(days=r), Decimal(1), AS_OF)
        for c, f, r in [("a", 12, 3), ("b", 1, 80), ("c", 12, 10), ("d", 4, 45)]
    ]
    counts = segment_counts(rows)
    assert list(counts.items()) == [
        (RfmSegment.VIP, 2),
        (RfmSegment.LOYAL, 0),
        (RfmSegment.AT_RISK, 1),
        (RfmSegment.LOST, 0),
        (RfmSegment.NEWBIE, 0),
        (RfmSegment.PROMISING, 0),
        (RfmSegment.DRIFTING, 0),
        (RfmSegment.SLEEPING, 1),
    ]
    assert active_split(rows) == (2, 2)


def test_counts_from_segments_fill_in_and_split_active_from_sleeping() -> None:
    counts = RfmCounts.from_segments(
        {RfmSegment.VIP: 2, RfmSegment.LOST: 3, RfmSegment.NEWBIE: 1, RfmSegment.PROMISING: 4}
    )
    assert list(counts.segments.items()) == [
        (RfmSegment.VIP, 2),
        (RfmSegment.LOYAL, 0),
        (RfmSegment.AT_RISK, 0),
        (RfmSegment.LOST, 3),
        (RfmSegment.NEWBIE, 1),
        (RfmSegment.PROMISING, 4),
        (RfmSegment.DRIFTING, 0),
        (RfmSegment.SLEEPING, 0),
    ]
    assert (counts.active, counts.sleeping) == (7, 3)
    assert RfmCounts.from_segments({RfmSegment.LOYAL: 5, RfmSegment.DRIFTING: 2}).sleeping == 2


@given(transaction_histories())
def test_counts_from_segments_agree_with_the_rows(
    history: list[tuple[str, datetime, Decimal]],
) -> None:
    rows = compute_rfm(history, as_of=RFM_AS_OF)
    counts = RfmCounts.from_segments(segment_counts(rows))
    assert (counts.active, counts.sleeping) == active_split(rows)


def row(customer: str, recency: int, frequency: int, monetary: str) -> CustomerRfm[str]:
    return rfm_of(customer, frequency, MIDNIGHT - timedelta(days=recency), Decimal(monetary), AS_OF)


def test_quintiles_worked_out_by_hand() -> None:
    rows = [
        row("a", 0, 1, "5"),
        row("b", 10, 2, "50"),
        row("c", 10, 2, "50"),
        row("d", 50, 5, "7.5"),
        row("e", 100, 9, "1000"),
    ]
    # score = 1 + ⌊5 · (customers strictly worse) / 5⌋
    # R (lower is better): a beats 4 → 5; b, c beat 2 → 3; d beats 1 → 2; e beats none → 1
    # F: a beats none → 1; b, c beat 1 → 2; d beats 3 → 4; e beats 4 → 5
    # M: a beats none → 1; d beats 1 → 2; b, c beat 2 → 3; e beats 4 → 5
    assert quintile_scores(rows) == {
        "a": RfmScores(recency=5, frequency=1, monetary=1),
        "b": RfmScores(recency=3, frequency=2, monetary=3),
        "c": RfmScores(recency=3, frequency=2, monetary=3),
        "d": RfmScores(recency=2, frequency=4, monetary=2),
        "e": RfmScores(recency=1, frequency=5, monetary=5),
    }


def test_quintiles_of_few_customers() -> None:
    assert quintile_scores([]) == {}
    assert quintile_scores([row("a", 3, 1, "1")]) == {
        "a": RfmScores(recency=1, frequency=1, monetary=1)
    }
    # two customers: the better one beats 1 of 2 → 1 + ⌊5/2⌋ = 3
    assert quintile_scores([row("a", 3, 4, "1"), row("b", 9, 1, "2")]) == {
        "a": RfmScores(recency=3, frequency=3, monetary=1),
        "b": RfmScores(recency=1, frequency=1, monetary=3),
    }
