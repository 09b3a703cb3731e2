"""Lead scoring use cases: explain one lead's score, rescore every lead."""

from __future__ import annotations

from datetime import datetime

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.progress import Progress
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead
from crmcore.domain.scoring import (
    LeadScoreThresholdCrossed,
    ScoreExplanation,
    ScoringConfig,
    crossed_upwards,
    score_lead,
)
from crmcore.ports.uow import UnitOfWork

PAGE = 500


@attrs.frozen(kw_only=True)
class RescoreSummary:
    """What a rescoring run did."""

    scored: int = 0
    changed: int = 0
    crossed: int = 0


def explain_score(
    app: App, lead_id: LeadId, *, config: ScoringConfig
) -> Result[ScoreExplanation, AppError]:
    """A lead's score now and each component's contribution (nothing is stored)."""

    def work(uow: UnitOfWork) -> Result[ScoreExplanation, AppError]:
        lead = uow.leads.get(lead_id)
        if lead is None:
            return Failure(NotFound(kind="lead", key=str(lead_id)))
        return Success(score_lead(lead, config, app.clock.now()))

    return transact(app, work)


@attrs.frozen
class Rescored:
    """A lead whose score changed, and whether it rose above the hot threshold."""

    lead: Lead
    crossed: bool


def rescore_in(
    uow: UnitOfWork, lead: Lead, *, config: ScoringConfig, now: datetime, save: bool = False
) -> Rescored | None:
    """Inside an open unit of work: score ``lead`` again and store the change with its
    events (``crm.lead.scored``; ``crm.lead.score_threshold_crossed`` when it rises above
    the hot threshold); ``None`` when the score stays (``save``: store the lead anyway)."""
    score = score_lead(lead, config, now).score
    change = lead.rescored(score, at=now)
    if not change.events:
        if save:
            uow.leads.save(lead)
        return None
    uow.leads.save(change.entity)
    uow.record(*change.events)
    crossed = crossed_upwards(lead.score, score, config.hot_threshold)
    if crossed:
        uow.record(
            LeadScoreThresholdCrossed(
                lead_id=lead.id, previous=lead.score, score=score, threshold=config.hot_threshold
            )
        )
    return Rescored(lead=change.entity, crossed=crossed)


def rescore_leads(
    app: App, *, config: ScoringConfig, progress: Progress | None = None
) -> Result[RescoreSummary, AppError]:
    """Rescore every lead, a page per transaction; ``crm.lead.scored`` only on change,
    ``crm.lead.score_threshold_crossed`` when a score rises above the hot threshold.
    ``progress(done, total)`` hears of each page."""
    total = RescoreSummary()
    offset = 0
    leads_in_store = 0
    if progress is not None:
        counted = transact(app, lambda uow: Success(uow.leads.count()))
        leads_in_store = counted.value_or(0)
    while True:

        def page(
            uow: UnitOfWork, offset: int = offset
        ) -> Result[tuple[int, RescoreSummary], AppError]:
            leads = uow.leads.list(limit=PAGE, offset=offset)
            now = app.clock.now()
            changed = crossed = 0
            for lead in leads:
                outcome = rescore_in(uow, lead, config=config, now=now)
                changed += outcome is not None
                crossed += outcome is not None and outcome.crossed
            return Success(
                (len(leads), RescoreSummary(scored=len(leads), changed=changed, crossed=crossed))
            )

        result = transact(app, page)
        if isinstance(result, Failure):
            return Failure(result.failure())
        count, done = result.unwrap()
        total = RescoreSummary(
            scored=total.scored + done.scored,
            changed=total.changed + done.changed,
            crossed=total.crossed + done.crossed,
        )
        if progress is not None:
            progress(total.scored, max(leads_in_store, total.scored))
        if count < PAGE:
            return Success(total)
        offset += PAGE
