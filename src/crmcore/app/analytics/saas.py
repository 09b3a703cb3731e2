"""The SaaS metrics report: MRR movement per month and the headline metrics with targets,
from the billing facts the event pipeline recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.cohorts import month_index
from crmcore.domain.saas import Metric, MonthMetrics, headline, monthly
from crmcore.ports.uow import UnitOfWork


@attrs.frozen(kw_only=True)
class SaasReport:
    """Per month and headline."""

    months: tuple[MonthMetrics, ...]
    metrics: tuple[Metric, ...]


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``), inclusive."""
    out = []
    for k in range(month_index(first), month_index(last) + 1):
        out.append(f"{k // 12:04d}-{k % 12 + 1:02d}")
    return out


def saas_report(
    app: App,
    *,
    since: date | None = None,
    until: date | None = None,
    spend: Decimal | None = None,
    cac_target: Decimal | None = None,
    ltv_target: Decimal | None = None,
) -> Result[SaasReport, AppError]:
    """MRR per month of the window (from the first to the last month with billing facts
    when the window is open) and the headline metrics; ``spend`` is the marketing and
    sales spend of the window (for CAC)."""
    start, end = bounds(since, until)

    def work(uow: UnitOfWork) -> Result[SaasReport, AppError]:
        rows = uow.analytics.billing_months(since=start, until=end)
        scores = uow.analytics.nps_scores(since=start, until=end)
        present = sorted({r.month for r in rows})
        first = since.strftime("%Y-%m") if since else (present[0] if present else None)
        last = until.strftime("%Y-%m") if until else (present[-1] if present else None)
        months = monthly(rows, month_range(first, last)) if first and last else []
        return Success(
            SaasReport(
                months=tuple(months),
                metrics=tuple(
                    headline(
                        months,
                        nps_scores=scores,
                        spend=spend,
                        cac_target=cac_target,
                        ltv_target=ltv_target,
                    )
                ),
            )
        )

    return transact(app, work, commit=False)
