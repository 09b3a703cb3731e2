"""RFM segmentation: eight segments on recency and frequency, quintile scores, active/sleeping.

R is the number of whole days between the day of the last transaction and the ``as_of``
day (both UTC calendar days); F counts every transaction on or before the ``as_of`` day.
The segment table of PRODUCT.md C7 is evaluated in order with half-open intervals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

import attrs

K = TypeVar("K")

#: Recency bounds of the segment table, in days (half-open: [0, 30), [30, 60), [60, ∞)).
RECENT_DAYS = 30
DRIFT_DAYS = 60
#: Active = a transaction in the last 30 days *(design choice)*.
ACTIVE_DAYS = 30


class RfmSegment(StrEnum):
    """The eight segments, in their order of precedence."""

    VIP = "vip"
    LOYAL = "loyal"
    AT_RISK = "at_risk"
    LOST = "lost"
    NEWBIE = "newbie"
    PROMISING = "promising"
    DRIFTING = "drifting"
    SLEEPING = "sleeping"


def classify(frequency: int, recency_days: int) -> RfmSegment:
    """The segment of a customer with ``frequency`` ≥ 1 transactions, last ``recency_days`` ago."""
    if frequency < 1 or recency_days < 0:
        raise ValueError("a customer in RFM has at least one transaction, not in the future")
    recent = recency_days < RECENT_DAYS
    drifting = RECENT_DAYS <= recency_days < DRIFT_DAYS
    if frequency >= 10 and recent:
        return RfmSegment.VIP
    if 3 <= frequency <= 9 and recent:
        return RfmSegment.LOYAL
    if frequency >= 3 and drifting:
        return RfmSegment.AT_RISK
    if frequency >= 3:
        return RfmSegment.LOST
    if frequency == 1 and recent:
        return RfmSegment.NEWBIE
    if frequency == 2 and recent:
        return RfmSegment.PROMISING
    if drifting:
        return RfmSegment.DRIFTING
    return RfmSegment.SLEEPING


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def cutoff(as_of: date) -> datetime:
    """Transactions strictly before this instant count for ``as_of`` (the end of that day)."""
    return day_start(as_of + timedelta(days=1))


def recent_since(as_of: date, days: int) -> datetime:
    """The earliest instant whose recency is below ``days`` at ``as_of``.

    ``recency < days`` ⇔ ``last_at >= day_start(as_of - (days - 1))``; the SQL query uses
    these instants as bound parameters, so no dialect date arithmetic is needed.
    """
    return day_start(as_of - timedelta(days=days - 1))


def recency_days(last_at: datetime, as_of: date) -> int:
    """Whole days from the (UTC) day of ``last_at`` to ``as_of``."""
    return (as_of - last_at.astimezone(UTC).date()).days


@attrs.frozen(kw_only=True)
class CustomerRfm(Generic[K]):
    """One customer's R, F, M at ``as_of`` and the segment they fall in."""

    customer: K
    frequency: int
    last_at: datetime
    monetary: Decimal
    recency: int
    segment: RfmSegment

    @property
    def active(self) -> bool:
        """A transaction in the last 30 days *(design choice)*."""
        return self.recency < ACTIVE_DAYS


def rfm_of(
    customer: K, frequency: int, last_at: datetime, monetary: Decimal, as_of: date
) -> CustomerRfm[K]:
    """Build a customer's RFM row from its aggregates."""
    recency = recency_days(last_at, as_of)
    return CustomerRfm(
        customer=customer,
        frequency=frequency,
        last_at=last_at,
        monetary=monetary,
        recency=recency,
        segment=classify(frequency, recency),
    )


def compute_rfm(
    history: Iterable[tuple[K, datetime, Decimal]], *, as_of: date
) -> list[CustomerRfm[K]]:
    """RFM from ``(customer, occurred_at, amount)`` facts; later transactions are ignored."""
    end = cutoff(as_of)
    counts: dict[K, int] = {}
    lasts: dict[K, datetime] = {}
    sums: dict[K, Decimal] = {}
    for customer, at, amount in history:
        if at >= end:
            continue
        counts[customer] = counts.get(customer, 0) + 1
        sums[customer] = sums.get(customer, Decimal(0)) + amount
        if customer not in lasts or at > lasts[customer]:
            lasts[customer] = at
    return [rfm_of(c, counts[c], lasts[c], sums[c], as_of) for c in counts]


def segment_counts(rows: Iterable[CustomerRfm[K]]) -> dict[RfmSegment, int]:
    """Customers per segment, every segment present (zero when empty), in table order."""
    counts = dict.fromkeys(RfmSegment, 0)
    for row in rows:
        counts[row.segment] += 1
    return counts


#: The segments whose last transaction is under 30 days old: exactly the active customers,
#: because the active window and the segment table's recent window are the same 30 days.
RECENT_SEGMENTS = frozenset(
    {RfmSegment.VIP, RfmSegment.LOYAL, RfmSegment.NEWBIE, RfmSegment.PROMISING}
)
assert ACTIVE_DAYS == RECENT_DAYS, "active_from_counts relies on equal windows"


@attrs.frozen(kw_only=True)
class RfmCounts:
    """Customers per segment (all eight, in table order) and the active/sleeping split."""

    segments: Mapping[RfmSegment, int]
    active: int
    sleeping: int

    @classmethod
    def from_segments(cls, counts: Mapping[RfmSegment, int]) -> RfmCounts:
        """The split follows from the segment counts (see :data:`RECENT_SEGMENTS`)."""
        full = {segment: counts.get(segment, 0) for segment in RfmSegment}
        active = sum(n for segment, n in full.items() if segment in RECENT_SEGMENTS)
        return cls(segments=full, active=active, sleeping=sum(full.values()) - active)


@attrs.frozen(kw_only=True)
class RfmScores:
    """Classic 1-5 quintile scores (5 is best: most recent, most frequent, highest spend)."""

    recency: int
    frequency: int
    monetary: int


def _quintile(values: Sequence[Decimal | int], *, higher_is_better: bool) -> list[int]:
    """1 + ⌊5 · (values strictly worse) / n⌋: ties share a score, the result is in 1..5."""
    n = len(values)
    order = sorted(values)
    out: list[int] = []
    for value in values:
        below = bisect_left(order, value) if higher_is_better else n - bisect_right(order, value)
        out.append(1 + (5 * below) // n)
    return out


def quintile_scores(rows: Sequence[CustomerRfm[K]]) -> Mapping[K, RfmScores]:
    """R, F and M quintile scores of every customer in ``rows``."""
    if not rows:
        return {}
    r = _quintile([row.recency for row in rows], higher_is_better=False)
    f = _quintile([row.frequency for row in rows], higher_is_better=True)
    m = _quintile([row.monetary for row in rows], higher_is_better=True)
    return {
        row.customer: RfmScores(recency=r[i], frequency=f[i], monetary=m[i])
        for i, row in enumerate(rows)
    }


def active_split(rows: Iterable[CustomerRfm[K]]) -> tuple[int, int]:
    """``(active, sleeping)`` counts: active = a transaction in the last 30 days."""
    active = sleeping = 0
    for row in rows:
        if row.active:
            active += 1
        else:
            sleeping += 1
    return active, sleeping
