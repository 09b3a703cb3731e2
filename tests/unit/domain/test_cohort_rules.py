"""Cohort rows pinned by a worked example: offsets across a year, a cell before its cohort
ignored, the width set by the oldest cohort up to the last month, an empty cohort's
retention left empty, months not yet happened left empty."""

from __future__ import annotations

from decimal import Decimal

from crmcore.domain.cohorts import CohortCell, CohortRow, CohortSize, cohort_rows, month_index


def cell(cohort: str, period: str, customers: int, revenue: int) -> CohortCell:
    return CohortCell(cohort=cohort, period=period, customers=customers, revenue=Decimal(revenue))


def test_month_index_counts_months_from_year_zero() -> None:
    assert month_index("2026-01") == 2026 * 12
    assert month_index("2026-12") == 2026 * 12 + 11


def test_a_worked_matrix_up_to_the_last_month() -> None:
    sizes = [CohortSize(cohort="2026-12", customers=0), CohortSize(cohort="2026-11", customers=4)]
    cells = [
        cell("2026-11", "2026-11", 4, 100),
        cell("2026-11", "2027-01", 1, 30),
        cell("2026-11", "2026-10", 9, 999),  # before its cohort: ignored
        cell("2026-12", "2026-12", 2, 7),
    ]
    zero = Decimal(0)
    assert cohort_rows(sizes, cells, last_month="2027-02") == [
        CohortRow(
            cohort="2026-11",
            size=4,
            retention=(1.0, 0.0, 0.25, 0.0),
            revenue=(Decimal(100), zero, Decimal(30), zero),
            total_revenue=Decimal(130),
        ),
        CohortRow(
            cohort="2026-12",
            size=0,
            retention=(None, None, None, None),
            revenue=(Decimal(7), zero, zero, None),
            total_revenue=Decimal(7),
        ),
    ]
    without_end = cohort_rows(sizes, cells)
    assert [len(r.retention) for r in without_end] == [3, 3]
    assert without_end[1].revenue == (Decimal(7), zero, zero)
    assert cohort_rows([], cells, last_month="2027-02") == []
    (empty,) = cohort_rows([CohortSize(cohort="2026-01", customers=1)], [])
    assert isinstance(empty.total_revenue, Decimal)
    assert cohort_rows(sizes[1:], [])[0].retention == (0.0,)
