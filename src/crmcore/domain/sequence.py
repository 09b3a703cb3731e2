"""Drip sequences: steps sent a number of days after a contact joins, each under an
optional condition, until the contact meets the sequence's goal or unsubscribes.

The conditions (PRODUCT.md C5): ``not_activated`` — the contact's b2c funnel stage has not
reached ``activated``; ``no_purchase`` — no purchase on record. A step whose condition
does not hold when it falls due is skipped for good (a late activation never brings an
old reminder back). Goals: ``activated`` or ``purchase``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from crmcore.domain.funnel import FunnelStage

_ORDER = list(FunnelStage)


class StepCondition(StrEnum):
    """When a due step is sent."""

    ALWAYS = "always"
    NOT_ACTIVATED = "not_activated"
    NO_PURCHASE = "no_purchase"


class SequenceGoal(StrEnum):
    """What takes a contact out of a sequence (besides unsubscribing)."""

    NONE = "none"
    ACTIVATED = "activated"
    PURCHASE = "purchase"


@attrs.frozen(kw_only=True)
class DripStep:
    """Day ``day`` after joining: ``template``, if ``condition`` holds then; on
    ``channel`` (a campaign channel's value) instead of the sequence's when given."""

    day: int = attrs.field(validator=attrs.validators.ge(0))
    template: str
    condition: StepCondition = StepCondition.ALWAYS
    channel: str | None = None


@attrs.frozen(kw_only=True)
class ContactProgress:
    """What the conditions and the goal read about a contact."""

    funnel_stage: FunnelStage
    purchases: int
    unsubscribed: bool = False

    @property
    def activated(self) -> bool:
        """At or past ``activated`` in the b2c funnel."""
        return _ORDER.index(self.funnel_stage) >= _ORDER.index(FunnelStage.ACTIVATED)


def holds(condition: StepCondition, progress: ContactProgress) -> bool:
    """Whether a due step with ``condition`` is sent."""
    if condition is StepCondition.NOT_ACTIVATED:
        return not progress.activated
    if condition is StepCondition.NO_PURCHASE:
        return progress.purchases == 0
    return True


def goal_met(goal: SequenceGoal, progress: ContactProgress) -> bool:
    """Whether the contact has met the sequence's goal."""
    if goal is SequenceGoal.ACTIVATED:
        return progress.activated
    if goal is SequenceGoal.PURCHASE:
        return progress.purchases > 0
    return False


def due_at(joined_at: datetime, step: DripStep) -> datetime:
    """When a step falls due for a contact who joined at ``joined_at``."""
    return joined_at + timedelta(days=step.day)


@attrs.frozen(kw_only=True)
class StepDecision:
    """What to do with one due, not yet decided step."""

    step: int  # the step's number (1-based: delivery key 0 is a one-off campaign)
    send: bool


@attrs.frozen(kw_only=True)
class DripPlan:
    """The run's decisions for one enrolled contact."""

    leave: str | None  # "goal" or "unsubscribed" when the contact leaves now
    steps: tuple[StepDecision, ...]


def plan_contact(
    steps: Sequence[DripStep],
    goal: SequenceGoal,
    *,
    joined_at: datetime,
    now: datetime,
    decided: frozenset[int],
    progress: ContactProgress,
) -> DripPlan:
    """Leave on unsubscribe or goal; else decide every due step not decided yet (a
    step number in ``decided`` already has its delivery or its skip recorded)."""
    if progress.unsubscribed:
        return DripPlan(leave="unsubscribed", steps=())
    if goal_met(goal, progress):
        return DripPlan(leave="goal", steps=())
    out = [
        StepDecision(step=n, send=holds(s.condition, progress))
        for n, s in enumerate(steps, start=1)
        if n not in decided and due_at(joined_at, s) <= now
    ]
    return DripPlan(leave=None, steps=tuple(out))
