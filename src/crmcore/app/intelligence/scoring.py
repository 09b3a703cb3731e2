"""Lead scoring use cases: explain one lead's score, rescore every lead."""

from __future__ import annotations

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.ids import LeadId
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


def rescore_leads(app: App, *, config: ScoringConfig) -> Result[RescoreSummary, AppError]:
    """Rescore every lead, a page per transaction; ``crm.lead.scored`` only on change,
    ``crm.lead.score_threshold_crossed`` when a score rises above the hot threshold."""
    total = RescoreSummary()
    offset = 0
    while True:

        def page(
            uow: UnitOfWork, offset: int = offset
        ) -> Result[tuple[int, RescoreSummary], AppError]:
            leads = uow.leads.list(limit=PAGE, offset=offset)
            now = app.clock.now()
            changed = crossed = 0
            for lead in leads:
                score = score_lead(lead, config, now).score
                change = lead.rescored(score, at=now)
                if change.events:
                    changed += 1
                    uow.leads.save(change.entity)
                    uow.record(*change.events)
                    if crossed_upwards(lead.score, score, config.hot_threshold):
                        crossed += 1
                        uow.record(
                            LeadScoreThresholdCrossed(
                                lead_id=lead.id,
                                previous=lead.score,
                                score=score,
                                threshold=config.hot_threshold,
                            )
                        )
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
        if count < PAGE:
            return Success(total)
        offset += PAGE
