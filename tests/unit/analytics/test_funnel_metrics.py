"""Funnel metrics equal a straightforward recount over generated histories, and the P1
targets by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.funnel_metrics import (
    Entry,
    Status,
    activation,
    funnel_metrics,
    median,
    nearest_rank,
)

ORDER = ("visitor", "lead", "trial", "activated", "converted")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@st.composite
def histories(draw: st.DrawFn) -> list[list[Entry]]:
    """Journeys moving forward through ORDER (skips allowed), some ending lost."""
    out = []
    for _ in range(draw(st.integers(0, 12))):
        stages = sorted(draw(st.sets(st.sampled_from(ORDER), min_size=1)), key=ORDER.index)
        if draw(st.booleans()):
            stages.append("lost")  # an exit outside the order
        at = T0 + timedelta(minutes=draw(st.integers(0, 10_000)))
        entries = []
        for stage in stages:
            at += timedelta(minutes=draw(st.integers(0, 5_000)))
            entries.append(Entry(stage=stage, at=at))
        out.append(entries)
    return out


@settings(max_examples=50, deadline=None)
@given(journeys=histories(), days=st.none() | st.floats(1, 100))
def test_funnel_metrics_equal_a_recount(journeys: list[list[Entry]], days: float | None) -> None:
    metrics = funnel_metrics(journeys, ORDER, days=days)
    for i, m in enumerate(metrics):
        stage = ORDER[i]
        furthest = [max(ORDER.index(e.stage) for e in h if e.stage in ORDER) for h in journeys]
        reached = sum(1 for f in furthest if f >= i)
        entered = sum(1 for h in journeys if any(e.stage == stage for e in h))
        hours = []
        for h in journeys:
            for k, e in enumerate(h):
                if e.stage == stage and k + 1 < len(h):
                    hours.append((h[k + 1].at - e.at).total_seconds() / 3600)
        hours.sort()
        assert m.stage == stage
        assert m.reached == reached
        assert m.entered == entered
        if i + 1 < len(ORDER) and reached:
            after = sum(1 for f in furthest if f >= i + 1)
            assert m.conversion_to_next == pytest.approx(after / reached)
            assert m.drop_off == pytest.approx(1 - after / reached)
        else:
            assert m.conversion_to_next is None
            assert m.drop_off is None
        if hours:
            middle = len(hours) // 2
            expected_median = (
                hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
            )
            assert m.median_hours == pytest.approx(expected_median)
            # nearest rank: the smallest value with at least 90 % at or below it
            assert m.p90_hours == next(
                v for v in hours if sum(1 for w in hours if w <= v) >= 0.9 * len(hours)
            )
        else:
            assert m.median_hours is None
            assert m.p90_hours is None
        assert m.velocity_per_day == (entered / days if days else None)


def test_quantiles_by_hand() -> None:
    assert nearest_rank([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
    assert nearest_rank([1.0], 0.9) == 1.0
    assert nearest_rank([], 0.5) is None
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert math.isclose(median([0.5]) or 0, 0.5)


def _journey(*steps: tuple[str, int]) -> list[Entry]:
    return [Entry(stage=s, at=T0 + timedelta(minutes=m)) for s, m in steps]


def test_activation_against_the_p1_targets() -> None:
    # 4 leads (one entered at trial: it passed lead), 3 activated in 10, 20 and 50 minutes
    journeys = [
        _journey(("lead", 0), ("trial", 5), ("activated", 10)),
        _journey(("lead", 0), ("activated", 20)),
        _journey(("trial", 0), ("converted", 50)),
        _journey(("lead", 0)),
        _journey(("visitor", 0)),  # never a lead: not counted
    ]
    result = activation(journeys, ORDER)
    assert (result.leads, result.activated) == (4, 3)
    assert result.rate == 0.75
    assert result.rate_status is Status.OK  # > 60 %
    assert result.median_minutes == 20
    assert result.time_status is Status.OK  # < 30 minutes
    slow = activation([_journey(("lead", 0), ("activated", 45)), _journey(("lead", 0))], ORDER)
    assert slow.rate_status is Status.OFF_TARGET  # 50 %
    assert slow.time_status is Status.OFF_TARGET  # 45 minutes
    none = activation([], ORDER)
    assert none.rate_status is Status.NO_DATA
    assert none.time_status is Status.NO_DATA
