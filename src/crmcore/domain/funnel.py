"""The b2c funnel: visitor → lead → trial → activated → converted → retained → advocate.

Stages only move forward; a move may skip stages (a purchase can arrive before a trial
is recorded), never go back. ``advocate`` is terminal.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.statemachine import Machine


class FunnelStage(StrEnum):
    """b2c funnel stages in order."""

    VISITOR = "visitor"
    LEAD = "lead"
    TRIAL = "trial"
    ACTIVATED = "activated"
    CONVERTED = "converted"
    RETAINED = "retained"
    ADVOCATE = "advocate"


FUNNEL_ORDER: tuple[FunnelStage, ...] = tuple(FunnelStage)

FUNNEL = Machine[FunnelStage](
    "b2c funnel",
    {(src, str(dst)): dst for i, src in enumerate(FUNNEL_ORDER) for dst in FUNNEL_ORDER[i + 1 :]},
)


@attrs.frozen(kw_only=True)
class StageEntry:
    """When a journey entered a stage."""

    stage: FunnelStage
    at: datetime


@attrs.frozen(kw_only=True)
class FunnelJourney:
    """A customer's position in the b2c funnel and the times each stage was entered."""

    stage: FunnelStage = FunnelStage.VISITOR
    history: tuple[StageEntry, ...] = ()

    @classmethod
    def start(cls, stage: FunnelStage, at: datetime) -> FunnelJourney:
        """A journey that begins at ``stage``."""
        return cls(stage=stage, history=(StageEntry(stage=stage, at=at),))

    def advance(
        self, target: FunnelStage, *, at: datetime
    ) -> Result[FunnelJourney, IllegalTransition | RuleViolation]:
        """Move forward to ``target``; refuses backward moves and time going back."""
        if self.history and at < self.history[-1].at:
            return Failure(
                RuleViolation(rule="funnel time", detail=f"{at} is before the last stage entry")
            )
        fired = FUNNEL.fire(self.stage, str(target))
        if isinstance(fired, Failure):
            return Failure(fired.failure())
        return Success(
            FunnelJourney(stage=target, history=(*self.history, StageEntry(stage=target, at=at)))
        )

    def entered(self, stage: FunnelStage) -> datetime | None:
        """When ``stage`` was entered, if it was."""
        return next((e.at for e in self.history if e.stage == stage), None)
