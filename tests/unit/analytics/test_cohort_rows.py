"""The retention matrix equals a recount of the generated cells; months not yet happened
stay empty."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.cohorts import (
    CohortCell,
    CohortPeriod,
    CohortSize,
    cohort_rows,
    month_index,
    period_of,
)

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]


@st.composite
def matrices(draw: st.DrawFn) -> tuple[list[CohortSize], list[CohortCell]]:
    cohorts = sorted(draw(st.sets(st.sampled_from(MONTHS[:8]), min_size=1, max_size=5)))
    sizes = [CohortSize(cohort=c, customers=draw(st.integers(0, 40))) for c in cohorts]
    cells = []
    for size in sizes:
        later = [m for m in MONTHS if m >= size.cohort]
        for period in draw(st.sets(st.sampled_from(later), max_size=6)):
            cells.append(
                CohortCell(
                    cohort=size.cohort,
                    period=period,
                    customers=draw(st.integers(0, size.customers)),
                    revenue=Decimal(draw(st.integers(0, 10**6))) / 100,
                )
            )
    return sizes, cells


@settings(max_examples=50, deadline=None)
@given(data=matrices(), last=st.sampled_from(MONTHS))
def test_the_matrix_equals_a_recount(
    data: tuple[list[CohortSize], list[CohortCell]], last: str
) -> None:
    sizes, cells = data
    rows = cohort_rows(sizes, cells, last_month=last)
    assert [r.cohort for r in rows] == sorted(s.cohort for s in sizes)
    for row in rows:
        size = next(s.customers for s in sizes if s.cohort == row.cohort)
        mine = [c for c in cells if c.cohort == row.cohort]
        assert row.size == size
        assert row.total_revenue == sum((c.revenue for c in mine), Decimal(0))
        y, m = (int(x) for x in row.cohort.split("-"))
        for k, share in enumerate(row.retention):
            month = f"{y + (m - 1 + k) // 12:04d}-{(m - 1 + k) % 12 + 1:02d}"
            cell = next((c for c in mine if c.period == month), None)
            if size == 0 or month > last:
                assert share is None
            else:
                assert share == pytest.approx((cell.customers if cell else 0) / size)
            if month > last:
                assert row.revenue[k] is None
            else:
                assert row.revenue[k] == (cell.revenue if cell else 0)


def test_offsets_count_months_across_years() -> None:
    assert month_index("2026-01") - month_index("2025-11") == 2
    rows = cohort_rows(
        [CohortSize(cohort="2025-11", customers=4)],
        [
            CohortCell(cohort="2025-11", period="2025-11", customers=4, revenue=Decimal(40)),
            CohortCell(cohort="2025-11", period="2026-01", customers=1, revenue=Decimal(5)),
        ],
    )
    assert rows[0].retention == (1.0, 0.0, 0.25)
    assert rows[0].revenue == (Decimal(40), Decimal(0), Decimal(5))


MONDAYS = [(date(2025, 12, 1) + timedelta(weeks=k)).isoformat() for k in range(14)]


@st.composite
def weekly(draw: st.DrawFn) -> tuple[list[CohortSize], list[CohortCell]]:
    cohorts = sorted(draw(st.sets(st.sampled_from(MONDAYS[:8]), min_size=1, max_size=5)))
    sizes = [CohortSize(cohort=c, customers=draw(st.integers(0, 40))) for c in cohorts]
    cells = [
        CohortCell(
            cohort=size.cohort,
            period=period,
            customers=draw(st.integers(0, size.customers)),
            revenue=Decimal(draw(st.integers(0, 10**6))) / 100,
        )
        for size in sizes
        for period in draw(st.sets(st.sampled_from([w for w in MONDAYS if w >= size.cohort])))
    ]
    return sizes, cells


@settings(max_examples=50, deadline=None)
@given(data=weekly(), last=st.sampled_from(MONDAYS))
def test_the_weekly_matrix_equals_a_recount(
    data: tuple[list[CohortSize], list[CohortCell]], last: str
) -> None:
    sizes, cells = data
    rows = cohort_rows(sizes, cells, last_month=last, period=CohortPeriod.WEEK)
    assert [r.cohort for r in rows] == sorted(s.cohort for s in sizes)
    for row in rows:
        size = next(s.customers for s in sizes if s.cohort == row.cohort)
        mine = {c.period: c for c in cells if c.cohort == row.cohort}
        for k, share in enumerate(row.retention):
            monday = (date.fromisoformat(row.cohort) + timedelta(days=7 * k)).isoformat()
            cell = mine.get(monday)
            if size == 0 or monday > last:
                assert share is None
            else:
                assert share == pytest.approx((cell.customers if cell else 0) / size)
            assert row.revenue[k] == (
                None if monday > last else (cell.revenue if cell else Decimal(0))
            )


def test_weeks_start_on_monday_in_utc_across_years() -> None:
    late_sunday = datetime(2026, 1, 4, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert period_of(late_sunday, CohortPeriod.WEEK) == "2026-01-05"  # Monday 01:30 UTC
    assert period_of(datetime(2026, 1, 1, tzinfo=UTC), CohortPeriod.WEEK) == "2025-12-29"
    assert period_of(datetime(2026, 1, 1, tzinfo=UTC), CohortPeriod.MONTH) == "2026-01"
    rows = cohort_rows(
        [CohortSize(cohort="2025-12-22", customers=2)],
        [CohortCell(cohort="2025-12-22", period="2026-01-05", customers=1, revenue=Decimal(7))],
        period=CohortPeriod.WEEK,
    )
    assert rows[0].retention == (0.0, 0.0, 0.5)
