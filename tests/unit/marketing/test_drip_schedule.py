"""The drip schedule for any join time and any condition outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.funnel import FunnelStage
from crmcore.domain.sequence import (
    ContactProgress,
    DripStep,
    SequenceGoal,
    StepCondition,
    plan_contact,
)

ONBOARDING = [
    DripStep(day=0, template="welcome"),
    DripStep(day=1, template="first-step", condition=StepCondition.NOT_ACTIVATED),
    DripStep(day=3, template="tips"),
    DripStep(day=7, template="webinar"),
    DripStep(day=14, template="offer", condition=StepCondition.NO_PURCHASE),
    DripStep(day=21, template="feedback"),
]
_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
_progress = st.builds(
    ContactProgress,
    funnel_stage=st.sampled_from(list(FunnelStage)),
    purchases=st.integers(0, 3),
    unsubscribed=st.booleans(),
)


@settings(max_examples=50)
@given(
    joined=_instants,
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    decided=st.frozensets(st.integers(1, 6)),
    progress=_progress,
    goal=st.sampled_from(list(SequenceGoal)),
)
def test_each_due_undecided_step_is_decided_once_by_its_condition(
    joined: datetime,
    elapsed: timedelta,
    decided: frozenset[int],
    progress: ContactProgress,
    goal: SequenceGoal,
) -> None:
    now = joined + elapsed
    plan = plan_contact(ONBOARDING, goal, joined_at=joined, now=now, decided=decided,
                        progress=progress)  # fmt: skip
    activated = progress.funnel_stage in (
        FunnelStage.ACTIVATED, FunnelStage.CONVERTED, FunnelStage.RETAINED, FunnelStage.ADVOCATE
    )  # fmt: skip
    reached = (goal is SequenceGoal.ACTIVATED and activated) or (
        goal is SequenceGoal.PURCHASE and progress.purchases > 0
    )
    if progress.unsubscribed or reached:
        assert plan.leave == ("unsubscribed" if progress.unsubscribed else "goal")
        assert plan.steps == ()
        return
    assert plan.leave is None
    days = [0, 1, 3, 7, 14, 21]
    expected = {n for n, d in enumerate(days, start=1) if elapsed >= timedelta(days=d)} - decided
    assert {s.step for s in plan.steps} == expected
    for s in plan.steps:
        if s.step == 2:
            assert s.send == (not activated)
        elif s.step == 5:
            assert s.send == (progress.purchases == 0)
        else:
            assert s.send


def test_the_shipped_onboarding_is_d0_1_3_7_14_21() -> None:
    import json
    from importlib.resources import files

    data = json.loads(files("crmcore.app.marketing").joinpath("onboarding.json").read_text())
    assert [s["day"] for s in data["steps"]] == [0, 1, 3, 7, 14, 21]
    assert [s["condition"] for s in data["steps"]][1] == "not_activated"
    assert [s["condition"] for s in data["steps"]][4] == "no_purchase"
