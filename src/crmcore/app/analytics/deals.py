"""The deals report: summaries, win/loss breakdowns and the forecast."""

from __future__ import annotations

from datetime import date

import attrs
from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.deal_metrics import (
    Breakdown,
    DealSummary,
    ForecastMonth,
    breakdowns,
    forecast,
    summaries,
)
from crmcore.domain.ids import DealId
from crmcore.ports.uow import UnitOfWork


@attrs.frozen(kw_only=True)
class DealsReport:
    """Everything ``crm report deals`` shows."""

    summaries: tuple[DealSummary, ...]
    breakdowns: tuple[Breakdown, ...]
    forecast: tuple[ForecastMonth, ...]


def deals_report(
    app: App, *, since: date | None = None, until: date | None = None
) -> Result[DealsReport, AppError]:
    """Deals closed in the window, and the forecast of the open ones.

    A deal's source is ``metadata["source"]``, else the source of the lead its contact
    was converted from."""
    start, end = bounds(since, until)

    def work(uow: UnitOfWork) -> Result[DealsReport, AppError]:
        deals = list(uow.deals.list())
        sources: dict[DealId, str] = dict(uow.analytics.deal_lead_sources())
        for d in deals:
            if "source" in d.metadata:
                sources[d.id] = str(d.metadata["source"])
        return Success(
            DealsReport(
                summaries=tuple(summaries(deals, since=start, until=end)),
                breakdowns=tuple(breakdowns(deals, sources, since=start, until=end)),
                forecast=tuple(forecast(deals)),
            )
        )

    return transact(app, work, commit=False)
