"""The retention matrix equals a recount of the generated cells; months not yet happened
stay empty."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.cohorts import CohortCell, CohortSize, cohort_rows, month_index

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
