"""Drip sequence rules pinned: "activated" on each funnel stage, each condition and goal
written out as a table, the due time on its line, step numbers from 1, and leaving on
unsubscribe before the goal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmcore.domain.funnel import FunnelStage
from crmcore.domain.sequence import (
    ContactProgress,
    DripPlan,
    DripStep,
    SequenceGoal,
    StepCondition,
    StepDecision,
    due_at,
    goal_met,
    holds,
    plan_contact,
)

JOINED = datetime(2026, 1, 1, 9, tzinfo=UTC)
ACTIVATED_STAGES = {"activated", "converted", "retained", "advocate"}


@pytest.mark.parametrize("stage", list(FunnelStage))
def test_activated_is_at_or_past_the_activated_stage(stage: FunnelStage) -> None:
    assert ContactProgress(funnel_stage=stage, purchases=0).activated is (
        stage.value in ACTIVATED_STAGES
    )


@pytest.mark.parametrize(
    ("stage", "purchases", "always", "not_activated", "no_purchase", "g_none", "g_act", "g_buy"),
    [
        (FunnelStage.TRIAL, 0, True, True, True, False, False, False),
        (FunnelStage.TRIAL, 1, True, True, False, False, False, True),
        (FunnelStage.ACTIVATED, 0, True, False, True, False, True, False),
        (FunnelStage.ACTIVATED, 2, True, False, False, False, True, True),
    ],
)
def test_conditions_and_goals(
    stage: FunnelStage,
    purchases: int,
    always: bool,
    not_activated: bool,
    no_purchase: bool,
    g_none: bool,
    g_act: bool,
    g_buy: bool,
) -> None:
    p = ContactProgress(funnel_stage=stage, purchases=purchases)
    assert holds(StepCondition.ALWAYS, p) is always
    assert holds(StepCondition.NOT_ACTIVATED, p) is not_activated
    assert holds(StepCondition.NO_PURCHASE, p) is no_purchase
    assert goal_met(SequenceGoal.NONE, p) is g_none
    assert goal_met(SequenceGoal.ACTIVATED, p) is g_act
    assert goal_met(SequenceGoal.PURCHASE, p) is g_buy


def test_a_step_is_due_its_number_of_days_after_joining() -> None:
    assert due_at(JOINED, DripStep(day=3, template="t")) == JOINED + timedelta(days=3)
    assert due_at(JOINED, DripStep(day=0, template="t")) == JOINED
    with pytest.raises(ValueError, match="day"):
        DripStep(day=-1, template="t")


STEPS = [
    DripStep(day=0, template="a"),
    DripStep(day=1, template="b", condition=StepCondition.NOT_ACTIVATED),
    DripStep(day=3, template="c", condition=StepCondition.NO_PURCHASE),
    DripStep(day=7, template="d"),
]


def _plan(now: datetime, decided: frozenset[int], **progress: object) -> DripPlan:
    values: dict[str, object] = {"funnel_stage": FunnelStage.TRIAL, "purchases": 0, **progress}
    return plan_contact(
        STEPS,
        SequenceGoal.PURCHASE,
        joined_at=JOINED,
        now=now,
        decided=decided,
        progress=ContactProgress(**values),  # type: ignore[arg-type]
    )


def test_each_due_undecided_step_is_decided_by_its_condition_numbered_from_1() -> None:
    at_day_3 = JOINED + timedelta(days=3)
    assert _plan(at_day_3, frozenset()) == DripPlan(
        leave=None,
        steps=(
            StepDecision(step=1, send=True),
            StepDecision(step=2, send=True),
            StepDecision(step=3, send=True),
        ),
    )
    just_before = at_day_3 - timedelta(microseconds=1)
    assert _plan(just_before, frozenset({1})) == DripPlan(
        leave=None, steps=(StepDecision(step=2, send=True),)
    )
    activated = _plan(at_day_3, frozenset({1}), funnel_stage=FunnelStage.ACTIVATED)
    assert activated.steps == (StepDecision(step=2, send=False), StepDecision(step=3, send=True))


def test_a_contact_leaves_on_unsubscribe_before_the_goal() -> None:
    later = JOINED + timedelta(days=30)
    assert _plan(later, frozenset(), purchases=1) == DripPlan(leave="goal", steps=())
    assert _plan(later, frozenset(), purchases=1, unsubscribed=True) == DripPlan(
        leave="unsubscribed", steps=()
    )
    assert _plan(later, frozenset(), unsubscribed=True).leave == "unsubscribed"
