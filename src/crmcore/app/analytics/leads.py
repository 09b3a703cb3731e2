"""Lead-source effectiveness: leads, qualified, converted and average score per source
(the table ``crm demo`` shows, and ``crm report leads``), grouped where the leads are."""

from __future__ import annotations

from datetime import date
from typing import Any

from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.lead import LeadSource
from crmcore.ports.uow import UnitOfWork


def lead_sources(
    app: App, *, since: date | None = None, until: date | None = None
) -> Result[list[dict[str, Any]], AppError]:
    """Leads per source (captured in the window), in the order of :class:`LeadSource`:
    count, qualified, converted, average score, and the share converted."""
    start, end = bounds(since, until)
    order = {s.value: i for i, s in enumerate(LeadSource)}

    def work(uow: UnitOfWork) -> Result[list[dict[str, Any]], AppError]:
        stats = sorted(
            uow.analytics.lead_sources(since=start, until=end),
            key=lambda s: (order.get(s.source, len(order)), s.source),
        )
        return Success(
            [
                {
                    "source": s.source,
                    "leads": s.leads,
                    "qualified": s.qualified,
                    "converted": s.converted,
                    "avg_score": s.average_score,
                    "conversion_rate": s.conversion_rate,
                }
                for s in stats
                if s.leads
            ]
        )

    return transact(app, work, commit=False)
