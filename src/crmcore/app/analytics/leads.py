"""Lead-source effectiveness: leads, qualified, converted and average score per source
(the table ``crm demo`` shows, and ``crm report leads``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.lead import LeadSource, LeadStatus
from crmcore.ports.uow import UnitOfWork


def lead_sources(
    app: App, *, since: date | None = None, until: date | None = None
) -> Result[list[dict[str, Any]], AppError]:
    """Leads per source (captured in the window): count, qualified, converted, average
    score, and the share converted."""
    start, end = bounds(since, until)

    def work(uow: UnitOfWork) -> Result[list[dict[str, Any]], AppError]:
        stats: dict[LeadSource, list[int]] = {s: [0, 0, 0, 0] for s in LeadSource}
        for lead in uow.leads.list():
            if (start is not None and lead.created_at < start) or (
                end is not None and lead.created_at >= end
            ):
                continue
            row = stats[lead.source]
            row[0] += 1
            row[1] += lead.status is LeadStatus.QUALIFIED
            row[2] += lead.status is LeadStatus.CONVERTED
            row[3] += lead.score
        return Success(
            [
                {
                    "source": s.value,
                    "leads": n,
                    "qualified": q,
                    "converted": c,
                    "avg_score": round(total / n, 1) if n else None,
                    "conversion_rate": c / n if n else None,
                }
                for s, (n, q, c, total) in stats.items()
                if n
            ]
        )

    return transact(app, work, commit=False)
