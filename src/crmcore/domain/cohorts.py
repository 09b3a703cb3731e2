"""Cohort analysis (C11): customers grouped by the month (or week) they signed up or first
bought; per period after that, the share still buying (retention) and what they spent.

Months are ``YYYY-MM`` strings and weeks the ``YYYY-MM-DD`` of their Monday (UTC). A
cohort's *offset* ``k`` is the ``k``-th period after the cohort's period (0 is the cohort
period itself). Retention at ``k`` is the customers of the cohort with a purchase in that
period over the cohort's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import attrs


class CohortBy(StrEnum):
    """What puts a customer in a cohort."""

    SIGNUP = "signup"
    FIRST_PURCHASE = "first-purchase"


class CohortPeriod(StrEnum):
    """The granularity of cohorts and of the matrix's columns."""

    MONTH = "month"
    WEEK = "week"


def period_of(at: datetime, period: CohortPeriod) -> str:
    """The UTC month (``YYYY-MM``) or week (its Monday, ``YYYY-MM-DD``) of an instant."""
    day = at.astimezone(UTC).date()
    if period is CohortPeriod.WEEK:
        return (day - timedelta(days=day.weekday())).isoformat()
    return f"{day.year:04d}-{day.month:02d}"


def period_index(label: str, period: CohortPeriod) -> int:
    """A period label as a count of periods (so differences are offsets)."""
    if period is CohortPeriod.WEEK:
        return (date.fromisoformat(label).toordinal() - 1) // 7  # day 1 was a Monday
    return month_index(label)


class CohortMetric(StrEnum):
    """What the matrix shows."""

    RETENTION = "retention"
    REVENUE = "revenue"


@attrs.frozen(kw_only=True)
class CohortSize:
    """How many customers a cohort has."""

    cohort: str
    customers: int


@attrs.frozen(kw_only=True)
class CohortCell:
    """Customers of ``cohort`` who bought in ``period``, and what they spent then."""

    cohort: str
    period: str
    customers: int
    revenue: Decimal


@attrs.frozen(kw_only=True)
class CohortRow:
    """One cohort: its size, retention and revenue per offset (None for months after the
    report's last month), and its revenue in all."""

    cohort: str
    size: int
    retention: tuple[float | None, ...]
    revenue: tuple[Decimal | None, ...]
    total_revenue: Decimal


def month_index(month: str) -> int:
    """``YYYY-MM`` as a count of months (so differences are offsets)."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def cohort_rows(
    sizes: Sequence[CohortSize],
    cells: Sequence[CohortCell],
    *,
    last_month: str | None = None,
    period: CohortPeriod = CohortPeriod.MONTH,
) -> list[CohortRow]:
    """The retention matrix: one row per cohort (oldest first), as many offsets as the
    widest cohort has (or the oldest cohort has up to ``last_month``, the label of the
    report's last period); retention is None where the cohort has no customers or the
    period is after ``last_month`` (it has not happened yet)."""

    def index(label: str) -> int:
        return period_index(label, period)

    end = index(last_month) if last_month else None
    by_cohort: dict[str, dict[int, CohortCell]] = defaultdict(dict)
    for cell in cells:
        offset = index(cell.period) - index(cell.cohort)
        if offset >= 0:
            by_cohort[cell.cohort][offset] = cell
    width = 1 + max((k for cohort in by_cohort.values() for k in cohort), default=0)
    if end is not None and sizes:
        width = max(width, end - min(index(s.cohort) for s in sizes) + 1)
    rows = []
    for size in sorted(sizes, key=lambda s: s.cohort):
        mine = by_cohort.get(size.cohort, {})
        happened = [end is None or index(size.cohort) + k <= end for k in range(width)]
        rows.append(
            CohortRow(
                cohort=size.cohort,
                size=size.customers,
                retention=tuple(
                    (mine[k].customers / size.customers if k in mine else 0.0)
                    if size.customers and happened[k]
                    else None
                    for k in range(width)
                ),
                revenue=tuple(
                    (mine[k].revenue if k in mine else Decimal(0)) if happened[k] else None
                    for k in range(width)
                ),
                total_revenue=sum((c.revenue for c in mine.values()), Decimal(0)),
            )
        )
    return rows
