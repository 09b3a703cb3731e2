"""The b2b pipeline: eight stages, terminal closes, stage history, probabilities."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.events import Changed, DomainEvent, event_type
from crmcore.domain.ids import AccountId, ContactId, DealId
from crmcore.domain.money import Money
from crmcore.domain.statemachine import Machine


class DealStage(StrEnum):
    """Pipeline stages in order; the last two are terminal."""

    LEAD = "lead"
    QUALIFIED = "qualified"
    MEETING = "meeting"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CONTRACT = "contract"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


OPEN_STAGES: tuple[DealStage, ...] = (
    DealStage.LEAD,
    DealStage.QUALIFIED,
    DealStage.MEETING,
    DealStage.PROPOSAL,
    DealStage.NEGOTIATION,
    DealStage.CONTRACT,
)
CLOSED_STAGES = frozenset({DealStage.CLOSED_WON, DealStage.CLOSED_LOST})


def pipeline_table() -> dict[tuple[DealStage, str], DealStage]:
    """``advance`` goes one stage on (from ``contract`` it wins); ``win``/``lose`` close from
    any open stage; ``to:<stage>`` is the explicit jump to another open stage.

    A function (not only the :data:`PIPELINE` built from it at import) so that a test can
    build the table itself and check it against C4's list."""
    table: dict[tuple[DealStage, str], DealStage] = {}
    for i, stage in enumerate(OPEN_STAGES):
        nxt = OPEN_STAGES[i + 1] if i + 1 < len(OPEN_STAGES) else DealStage.CLOSED_WON
        table[(stage, "advance")] = nxt
        for other in OPEN_STAGES:
            if other != stage:
                table[(stage, f"to:{other}")] = other
        table[(stage, "win")] = DealStage.CLOSED_WON
        table[(stage, "lose")] = DealStage.CLOSED_LOST
    return table


PIPELINE = Machine[DealStage]("b2b pipeline", pipeline_table())

#: Open stages then the win, in order: the path ``move_to`` counts skipped stages on.
_PATH: tuple[DealStage, ...] = (*OPEN_STAGES, DealStage.CLOSED_WON)


def stages_between(start: DealStage, target: DealStage) -> tuple[DealStage, ...]:
    """The stages a move from ``start`` to ``target`` passes over (either direction)."""
    i, j = _PATH.index(start), _PATH.index(target)
    low, high = min(i, j), max(i, j)
    return _PATH[low + 1 : high]


DEFAULT_PROBABILITIES: Mapping[DealStage, int] = {
    DealStage.LEAD: 10,
    DealStage.QUALIFIED: 20,
    DealStage.MEETING: 40,
    DealStage.PROPOSAL: 60,
    DealStage.NEGOTIATION: 75,
    DealStage.CONTRACT: 90,
    DealStage.CLOSED_WON: 100,
    DealStage.CLOSED_LOST: 0,
}

SLIPPING_AFTER_DAYS = 14


@attrs.frozen(kw_only=True)
class PipelineConfig:
    """Default win probability per stage (configuration, C4)."""

    probabilities: Mapping[DealStage, int] = DEFAULT_PROBABILITIES

    def probability(self, stage: DealStage) -> int:
        """The default probability for deals entering ``stage``."""
        return self.probabilities.get(stage, DEFAULT_PROBABILITIES[stage])


@attrs.frozen(kw_only=True)
class StageChange:
    """One entry of a deal's stage history."""

    from_stage: DealStage | None
    to_stage: DealStage
    at: datetime


@attrs.frozen(kw_only=True)
class Deal:
    """A b2b opportunity moving through the pipeline."""

    id: DealId
    title: str
    amount: Money
    account_id: AccountId | None = None
    contact_id: ContactId | None = None
    stage: DealStage = DealStage.LEAD
    probability: int = attrs.field(
        default=10, validator=[attrs.validators.ge(0), attrs.validators.le(100)]
    )
    expected_close: date | None = None
    actual_close: date | None = None
    owner: str | None = None
    lost_reason: str | None = None
    history: tuple[StageChange, ...] = ()
    metadata: dict[str, Any] = attrs.field(factory=dict)
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def is_closed(self) -> bool:
        """True once won or lost."""
        return self.stage in CLOSED_STAGES

    @property
    def weighted_amount(self) -> Money:
        """Amount × probability: the deal's share of the forecast."""
        return self.amount.times(Decimal(self.probability) / 100)

    def is_slipping(self, today: date) -> bool:
        """Open and more than 14 days past its expected close date (C4 warning)."""
        return (
            not self.is_closed
            and self.expected_close is not None
            and (today - self.expected_close).days > SLIPPING_AFTER_DAYS
        )

    def _fire(
        self,
        move: str,
        *,
        at: datetime,
        config: PipelineConfig,
        reason: str | None = None,
        **changes: Any,
    ) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        fired = PIPELINE.fire(self.stage, move)
        if isinstance(fired, Failure):
            return Failure(fired.failure())
        if self.history and at < self.history[-1].at:
            return Failure(
                RuleViolation(rule="stage history", detail=f"{at} is before the last stage change")
            )
        target = fired.unwrap()
        closed = target in CLOSED_STAGES
        deal = attrs.evolve(
            self,
            stage=target,
            probability=config.probability(target),
            actual_close=at.date() if closed else None,
            updated_at=at,
            history=(*self.history, StageChange(from_stage=self.stage, to_stage=target, at=at)),
            **changes,
        )
        events: list[DomainEvent] = [
            DealStageChanged(deal_id=self.id, from_stage=self.stage, to_stage=target, reason=reason)
        ]
        if target == DealStage.CLOSED_WON:
            events.append(
                DealWon(deal_id=self.id, amount=self.amount.amount, currency=self.amount.currency)
            )
        elif target == DealStage.CLOSED_LOST:
            events.append(DealLost(deal_id=self.id, reason=deal.lost_reason or ""))
        return Success(Changed(deal, tuple(events)))

    def advance(
        self, *, at: datetime, config: PipelineConfig = PipelineConfig()
    ) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        """Move to the next stage (from ``contract`` this wins the deal)."""
        return self._fire("advance", at=at, config=config)

    def move_to(
        self,
        target: DealStage,
        *,
        at: datetime,
        config: PipelineConfig = PipelineConfig(),
        skip_reason: str | None = None,
    ) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        """Move to ``target``: one stage forward or back (``contract`` → ``closed_won``
        wins); a move past other stages needs ``skip_reason``, which the stage-change
        event then carries (a one-stage move ignores it)."""
        if target == DealStage.CLOSED_LOST:
            return Failure(
                RuleViolation(
                    rule="lost reason", detail="a deal is closed lost with a reason: use lose"
                )
            )
        if self.is_closed or target == self.stage:  # the machine refuses these
            return self._fire(f"to:{target}", at=at, config=config)
        reason = (skip_reason or "").strip() or None
        skipped = stages_between(self.stage, target)
        if skipped and reason is None:
            return Failure(
                RuleViolation(
                    rule="one stage at a time",
                    detail=(
                        f"moving from {self.stage} to {target} skips {', '.join(skipped)}: "
                        "move one stage at a time, or give the reason for skipping"
                    ),
                )
            )
        move = "win" if target == DealStage.CLOSED_WON else f"to:{target}"
        return self._fire(move, at=at, config=config, reason=reason if skipped else None)

    def win(
        self, *, at: datetime, config: PipelineConfig = PipelineConfig()
    ) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        """Close the deal as won."""
        return self._fire("win", at=at, config=config)

    def lose(
        self, reason: str, *, at: datetime, config: PipelineConfig = PipelineConfig()
    ) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        """Close the deal as lost; a non-empty reason is required."""
        if not reason.strip():
            return Failure(
                RuleViolation(rule="lost reason", detail="closed_lost requires a reason")
            )
        return self._fire("lose", at=at, config=config, lost_reason=reason.strip())


@event_type("crm.deal.created")
@attrs.frozen(kw_only=True)
class DealCreated(DomainEvent):
    """A deal entered the pipeline."""

    deal_id: DealId
    title: str
    amount: Decimal
    currency: str
    stage: DealStage
    account_id: AccountId | None = None
    contact_id: ContactId | None = None


@event_type("crm.deal.stage_changed")
@attrs.frozen(kw_only=True)
class DealStageChanged(DomainEvent):
    """A deal moved between stages."""

    deal_id: DealId
    from_stage: DealStage
    to_stage: DealStage
    reason: str | None = None


@event_type("crm.deal.won")
@attrs.frozen(kw_only=True)
class DealWon(DomainEvent):
    """A deal closed won: hand-off to customer success and billing."""

    deal_id: DealId
    amount: Decimal
    currency: str


@event_type("crm.deal.lost")
@attrs.frozen(kw_only=True)
class DealLost(DomainEvent):
    """A deal closed lost, with the reason."""

    deal_id: DealId
    reason: str
