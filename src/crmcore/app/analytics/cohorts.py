"""Cohort reports: the retention matrix and revenue per cohort."""

from __future__ import annotations

from datetime import date

from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.cohorts import CohortBy, CohortRow, cohort_rows
from crmcore.ports.uow import UnitOfWork


def cohort_report(
    app: App, *, by: CohortBy, since: date | None = None, until: date | None = None
) -> Result[list[CohortRow], AppError]:
    """One row per cohort that began in the window, purchases in the window counted;
    months after ``until`` (default: today) are left empty."""
    start, end = bounds(since, until)
    last = (until or app.clock.now().date()).strftime("%Y-%m")

    def work(uow: UnitOfWork) -> Result[list[CohortRow], AppError]:
        sizes = uow.analytics.cohort_sizes(by, since=start, until=end)
        cells = uow.analytics.cohort_cells(by, since=start, until=end)
        return Success(cohort_rows(sizes, cells, last_month=last))

    return transact(app, work, commit=False)
