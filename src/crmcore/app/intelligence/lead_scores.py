"""Setting a lead's score: ``crm.lead.scored`` only when the value changes."""

from __future__ import annotations

from collections.abc import Callable

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead
from crmcore.ports.uow import UnitOfWork

Scorer = Callable[[Lead], int]


def rescore_lead(
    app: App, lead_id: LeadId, *, score: int | None = None, scorer: Scorer | None = None
) -> Result[Lead, AppError]:
    """Store ``score`` (or what ``scorer`` computes from the lead) as the lead's score."""
    check = Collector()
    if score is None and scorer is None:
        check.fail("score", "", "give a score or a scorer")
    if score is not None and not 0 <= score <= 100:
        check.fail("score", str(score), "must be between 0 and 100")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        lead = uow.leads.get(lead_id)
        if lead is None:
            return Failure(NotFound(kind="lead", key=str(lead_id)))
        value = score if score is not None else scorer(lead) if scorer else lead.score
        changed = lead.rescored(max(0, min(100, value)), at=app.clock.now())
        if changed.events:
            uow.leads.save(changed.entity)
            uow.record(*changed.events)
        return Success(changed.entity)

    return transact(app, work)
