"""The b2b pipeline (C4) and the b2c funnel (C3) pinned: the transition tables against the
spec's lists, the failures' contents, the events each move emits, the slipping line.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from returns.result import Failure, Success

from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.funnel import FUNNEL, FunnelJourney, FunnelStage, StageEntry
from crmcore.domain.ids import DealId
from crmcore.domain.money import Money
from crmcore.domain.pipeline import (
    PIPELINE,
    Deal,
    DealLost,
    DealStage,
    DealStageChanged,
    DealWon,
    PipelineConfig,
    StageChange,
    pipeline_table,
    stages_between,
)
from crmcore.domain.statemachine import Machine
from tests.conftest import T0

#: C4's stages as the spec lists them; the last two are the closes.
C4_OPEN = ["lead", "qualified", "meeting", "proposal", "negotiation", "contract"]
C4_CLOSED = ["closed_won", "closed_lost"]
#: C3's stages in order.
C3 = ["visitor", "lead", "trial", "activated", "converted", "retained", "advocate"]
DEAL_ID = DealId(UUID(int=7))


def deal(stage: str = "lead", **kw: object) -> Deal:
    return Deal(
        id=DEAL_ID,
        title="Campus licence",
        amount=Money.of("1200.50", "EUR"),
        stage=DealStage(stage),
        created_at=T0,
        updated_at=T0,
        **kw,  # type: ignore[arg-type]
    )


# --- the tables -----------------------------------------------------------------------------


def spec_pipeline_table() -> dict[tuple[str, str], str]:
    """C4: ``advance`` one stage on (contract → closed_won), ``win``/``lose`` from any open
    stage, ``to:<stage>`` to any other open stage; nothing leaves a closed stage."""
    table: dict[tuple[str, str], str] = {}
    for i, stage in enumerate(C4_OPEN):
        table[(stage, "advance")] = [*C4_OPEN, "closed_won"][i + 1]
        table[(stage, "win")] = "closed_won"
        table[(stage, "lose")] = "closed_lost"
        for other in C4_OPEN:
            if other != stage:
                table[(stage, f"to:{other}")] = other
    return table


def test_the_pipeline_table_is_c4s_list() -> None:
    built = {(str(s), m): str(t) for (s, m), t in pipeline_table().items()}
    assert built == spec_pipeline_table()
    assert PIPELINE.table == pipeline_table()
    assert PIPELINE.name == "b2b pipeline"
    assert [str(s) for s in DealStage] == C4_OPEN + C4_CLOSED


def test_only_the_closes_are_terminal_in_the_pipeline() -> None:
    for stage in DealStage:
        assert PIPELINE.is_terminal(stage) is (str(stage) in C4_CLOSED)


def test_the_funnel_table_moves_only_forward() -> None:
    expected = {(a, b): b for i, a in enumerate(C3) for b in C3[i + 1 :]}
    assert {(str(s), m): str(t) for (s, m), t in FUNNEL.table.items()} == expected
    assert [str(s) for s in FunnelStage] == C3
    assert [FUNNEL.is_terminal(s) for s in FunnelStage] == [False] * 6 + [True]


# --- the machine ------------------------------------------------------------------------------


def test_allowed_lists_the_moves_in_table_order() -> None:
    assert FUNNEL.allowed(FunnelStage.ACTIVATED) == ("converted", "retained", "advocate")
    assert FUNNEL.allowed(FunnelStage.ADVOCATE) == ()
    assert PIPELINE.allowed(DealStage.CONTRACT) == (
        "advance",
        "to:lead",
        "to:qualified",
        "to:meeting",
        "to:proposal",
        "to:negotiation",
        "win",
        "lose",
    )


def test_a_refused_move_says_where_from_and_what_was_allowed() -> None:
    assert FUNNEL.fire(FunnelStage.RETAINED, "lead") == Failure(
        IllegalTransition(
            machine="b2c funnel", state="retained", move="lead", allowed=("advocate",)
        )
    )
    assert FUNNEL.fire(FunnelStage.RETAINED, "advocate") == Success(FunnelStage.ADVOCATE)
    assert str(FUNNEL.fire(FunnelStage.ADVOCATE, "lead").failure()) == (
        "b2c funnel: cannot lead from advocate; allowed: none (terminal state)"
    )


def test_a_machine_is_its_table() -> None:
    machine = Machine[DealStage]("tiny", {(DealStage.LEAD, "go"): DealStage.QUALIFIED})
    assert machine.fire(DealStage.LEAD, "go") == Success(DealStage.QUALIFIED)
    assert machine.fire(DealStage.QUALIFIED, "go") == Failure(
        IllegalTransition(machine="tiny", state="qualified", move="go", allowed=())
    )
    assert machine.is_terminal(DealStage.QUALIFIED)
    assert not machine.is_terminal(DealStage.LEAD)


# --- deals: events, history, dates, probabilities -----------------------------------------------


def test_advancing_emits_the_stage_change_and_records_it() -> None:
    at = T0 + timedelta(days=2)
    changed = deal("proposal").advance(at=at).unwrap()
    assert changed.events == (
        DealStageChanged(
            deal_id=DEAL_ID, from_stage=DealStage.PROPOSAL, to_stage=DealStage.NEGOTIATION
        ),
    )
    moved = changed.entity
    assert (moved.stage, moved.probability, moved.updated_at, moved.actual_close) == (
        DealStage.NEGOTIATION,
        75,
        at,
        None,
    )
    assert moved.history == (
        StageChange(from_stage=DealStage.PROPOSAL, to_stage=DealStage.NEGOTIATION, at=at),
    )


def test_advancing_from_contract_wins_and_hands_over_the_amount() -> None:
    at = T0 + timedelta(days=3, hours=5)
    changed = deal("contract").advance(at=at).unwrap()
    assert changed.events == (
        DealStageChanged(
            deal_id=DEAL_ID, from_stage=DealStage.CONTRACT, to_stage=DealStage.CLOSED_WON
        ),
        DealWon(deal_id=DEAL_ID, amount=Decimal("1200.50"), currency="EUR"),
    )
    assert (changed.entity.probability, changed.entity.actual_close) == (100, at.date())


def test_losing_needs_a_reason_and_emits_it() -> None:
    at = T0 + timedelta(days=1)
    changed = deal("meeting").lose("  went with a competitor ", at=at).unwrap()
    assert changed.events == (
        DealStageChanged(
            deal_id=DEAL_ID, from_stage=DealStage.MEETING, to_stage=DealStage.CLOSED_LOST
        ),
        DealLost(deal_id=DEAL_ID, reason="went with a competitor"),
    )
    lost = changed.entity
    assert (lost.lost_reason, lost.probability, lost.actual_close) == (
        "went with a competitor",
        0,
        at.date(),
    )
    assert deal("meeting").lose(" \t", at=at) == Failure(
        RuleViolation(rule="lost reason", detail="closed_lost requires a reason")
    )


def test_move_to_goes_one_stage_or_skips_with_a_reason() -> None:
    at = T0 + timedelta(hours=1)
    back = deal("negotiation").move_to(DealStage.PROPOSAL, at=at, skip_reason="ignored").unwrap()
    assert back.events == (
        DealStageChanged(
            deal_id=DEAL_ID, from_stage=DealStage.NEGOTIATION, to_stage=DealStage.PROPOSAL
        ),
    )
    assert back.entity.probability == 60
    on = deal("meeting").move_to(DealStage.PROPOSAL, at=at).unwrap()
    assert on.entity.stage == DealStage.PROPOSAL
    refused = deal("negotiation").move_to(DealStage.QUALIFIED, at=at, skip_reason="  ")
    assert refused == Failure(
        RuleViolation(
            rule="one stage at a time",
            detail="moving from negotiation to qualified skips meeting, proposal: move one "
            "stage at a time, or give the reason for skipping",
        )
    )
    skipped = deal("negotiation").move_to(DealStage.QUALIFIED, at=at, skip_reason=" re-scoped ")
    assert skipped.unwrap().events == (
        DealStageChanged(
            deal_id=DEAL_ID,
            from_stage=DealStage.NEGOTIATION,
            to_stage=DealStage.QUALIFIED,
            reason="re-scoped",
        ),
    )
    assert isinstance(deal("lead").move_to(DealStage.CLOSED_WON, at=at), Failure)
    won = deal("contract").move_to(DealStage.CLOSED_WON, at=at).unwrap()
    assert [type(e) for e in won.events] == [DealStageChanged, DealWon]
    assert deal("lead").move_to(DealStage.CLOSED_LOST, at=at) == Failure(
        RuleViolation(rule="lost reason", detail="a deal is closed lost with a reason: use lose")
    )
    assert deal("lead").move_to(DealStage.LEAD, at=at).failure() == IllegalTransition(
        machine="b2b pipeline",
        state="lead",
        move="to:lead",
        allowed=PIPELINE.allowed(DealStage.LEAD),
    )


@pytest.mark.parametrize(
    ("start", "target", "skipped"),
    [
        ("lead", "qualified", ()),
        ("qualified", "lead", ()),
        ("lead", "meeting", ("qualified",)),
        ("contract", "closed_won", ()),
        ("negotiation", "closed_won", ("contract",)),
        ("closed_won", "lead", ("qualified", "meeting", "proposal", "negotiation", "contract")),
    ],
)
def test_stages_between_counts_the_stages_passed_over(
    start: str, target: str, skipped: tuple[str, ...]
) -> None:
    assert stages_between(DealStage(start), DealStage(target)) == tuple(map(DealStage, skipped))


def test_a_refused_jump_reads_as_a_sentence() -> None:
    won = deal("contract").win(at=T0).unwrap().entity
    assert str(won.move_to(DealStage.LEAD, at=T0).failure()) == (
        "b2b pipeline: cannot move to lead from closed_won; allowed: none (terminal state)"
    )


def test_a_closed_deal_refuses_every_move() -> None:
    won = deal("contract").win(at=T0).unwrap().entity
    for result in (
        won.advance(at=T0),
        won.win(at=T0),
        won.lose("late", at=T0),
        won.move_to(DealStage.LEAD, at=T0),
    ):
        assert isinstance(result, Failure)
        assert isinstance(result.failure(), IllegalTransition)
        assert result.failure().allowed == ()


def test_stage_history_may_not_go_back_in_time_but_may_stand_still() -> None:
    at = T0 + timedelta(days=1)
    once = deal().advance(at=at).unwrap().entity
    same_instant = once.advance(at=at)
    assert isinstance(same_instant, Success)
    assert [c.at for c in same_instant.unwrap().entity.history] == [at, at]
    assert once.advance(at=at - timedelta(microseconds=1)) == Failure(
        RuleViolation(
            rule="stage history",
            detail=f"{at - timedelta(microseconds=1)} is before the last stage change",
        )
    )


def test_configured_probabilities_fall_back_to_the_defaults() -> None:
    config = PipelineConfig(probabilities={DealStage.QUALIFIED: 35})
    assert config.probability(DealStage.QUALIFIED) == 35
    assert config.probability(DealStage.MEETING) == 40
    assert deal().advance(at=T0, config=config).unwrap().entity.probability == 35
    won = PipelineConfig(probabilities={DealStage.CLOSED_WON: 99})
    jumped = deal().move_to(DealStage.CLOSED_WON, at=T0, config=won, skip_reason="paid upfront")
    assert jumped.unwrap().entity.probability == 99
    assert [PipelineConfig().probability(s) for s in DealStage] == [10, 20, 40, 60, 75, 90, 100, 0]


def test_weighted_amount_is_amount_times_probability() -> None:
    assert deal("proposal", probability=60).weighted_amount == Money.of("720.30", "EUR")
    assert deal(probability=0).weighted_amount == Money.of("0", "EUR")


@pytest.mark.parametrize(
    ("overdue_days", "slipping"), [(-3, False), (0, False), (13, False), (14, False), (15, True)]
)
def test_a_deal_slips_when_more_than_14_days_overdue(overdue_days: int, slipping: bool) -> None:
    today = date(2026, 3, 20)
    subject = deal("proposal", expected_close=today - timedelta(days=overdue_days))
    assert subject.is_slipping(today) is slipping


def test_closed_or_undated_deals_never_slip() -> None:
    today = date(2026, 3, 20)
    long_ago = today - timedelta(days=90)
    assert not deal("proposal").is_slipping(today)
    assert not deal("closed_won", expected_close=long_ago).is_slipping(today)
    assert not deal("closed_lost", expected_close=long_ago).is_slipping(today)
    assert deal("contract", expected_close=long_ago).is_slipping(today)


# --- the funnel journey -------------------------------------------------------------------------


def test_a_journey_records_when_it_entered_each_stage() -> None:
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(days=2)
    journey = FunnelJourney.start(FunnelStage.LEAD, T0)
    assert journey.stage is FunnelStage.LEAD
    journey = journey.advance(FunnelStage.ACTIVATED, at=t1).unwrap()
    journey = journey.advance(FunnelStage.CONVERTED, at=t2).unwrap()
    assert journey.history == (
        StageEntry(stage=FunnelStage.LEAD, at=T0),
        StageEntry(stage=FunnelStage.ACTIVATED, at=t1),
        StageEntry(stage=FunnelStage.CONVERTED, at=t2),
    )
    assert journey.stage is FunnelStage.CONVERTED
    assert journey.entered(FunnelStage.ACTIVATED) == t1
    assert journey.entered(FunnelStage.LEAD) == T0
    assert journey.entered(FunnelStage.TRIAL) is None


def test_a_journey_may_take_two_steps_at_one_instant_but_not_go_back_in_time() -> None:
    journey = FunnelJourney.start(FunnelStage.VISITOR, T0).advance(FunnelStage.LEAD, at=T0)
    assert journey.unwrap().history[-1] == StageEntry(stage=FunnelStage.LEAD, at=T0)
    earlier = T0 - timedelta(microseconds=1)
    assert journey.unwrap().advance(FunnelStage.TRIAL, at=earlier) == Failure(
        RuleViolation(rule="funnel time", detail=f"{earlier} is before the last stage entry")
    )


def test_a_journey_without_history_starts_anywhere_in_time_and_refuses_going_back() -> None:
    bare = FunnelJourney()
    moved = bare.advance(FunnelStage.TRIAL, at=T0).unwrap()
    assert moved.history == (StageEntry(stage=FunnelStage.TRIAL, at=T0),)
    assert bare.advance(FunnelStage.VISITOR, at=T0).failure() == IllegalTransition(
        machine="b2c funnel", state="visitor", move="visitor", allowed=tuple(C3[1:])
    )
