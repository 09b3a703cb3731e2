"""Cohort reports: the retention matrix and revenue per cohort."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.cohorts import CohortBy, CohortPeriod, CohortRow, cohort_rows, period_of
from crmcore.ports.uow import UnitOfWork


def cohort_report(
    app: App,
    *,
    by: CohortBy,
    since: date | None = None,
    until: date | None = None,
    period: CohortPeriod = CohortPeriod.MONTH,
) -> Result[list[CohortRow], AppError]:
    """One row per cohort that began in the window, purchases in the window counted;
    periods (months or weeks) after ``until`` (default: today) are left empty."""
    start, end = bounds(since, until)
    last_day = until or app.clock.now().date()
    last = period_of(datetime.combine(last_day, time(12), tzinfo=UTC), period)

    def work(uow: UnitOfWork) -> Result[list[CohortRow], AppError]:
        sizes = uow.analytics.cohort_sizes(by, since=start, until=end, period=period)
        cells = uow.analytics.cohort_cells(by, since=start, until=end, period=period)
        return Success(cohort_rows(sizes, cells, last_month=last, period=period))

    return transact(app, work, commit=False)
