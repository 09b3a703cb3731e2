"""Stateful tests of the three state machines.

The invariants are written from the spec (C1, C3, C4), independently of the transition
tables in the code: the models below know only stage order and which states are final.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from returns.result import Failure, Result, Success

from crmcore.domain.email import Email
from crmcore.domain.events import Changed, DomainEvent
from crmcore.domain.funnel import FunnelJourney, FunnelStage
from crmcore.domain.ids import DealId, LeadId
from crmcore.domain.lead import (
    Lead,
    LeadDisqualified,
    LeadQualified,
    LeadReopened,
    LeadStatus,
    Qualification,
)
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.pipeline import (
    Deal,
    DealLost,
    DealStage,
    DealStageChanged,
    DealWon,
    StageChange,
)
from tests.conftest import T0
from tests.strategies import deltas

SPEC_LEAD_MOVES = {
    # from the spec: new → qualified → converted; new|qualified → disqualified; reopen.
    ("new", "qualify"): "qualified",
    ("qualified", "convert"): "converted",
    ("new", "disqualify"): "disqualified",
    ("qualified", "disqualify"): "disqualified",
    ("disqualified", "reopen"): "new",
}


class LeadStatusMachine(RuleBasedStateMachine):
    """A lead driven by random commands against an independent model of C1."""

    def __init__(self) -> None:
        super().__init__()
        self.lead = Lead(
            id=LeadId(UUID(int=1)),
            email=Email("a@b.co"),
            name=PersonName("A", "B"),
            created_at=T0,
            updated_at=T0,
        )
        self.model = "new"
        self.ever_converted = False
        self.now = T0

    @rule(move=st.sampled_from(["qualify", "convert", "disqualify", "reopen"]), step=deltas)
    def command(self, move: str, step: timedelta) -> None:
        self.now += step
        lead = self.lead
        commands: dict[str, Callable[[], Result[Any, Any]]] = {
            "qualify": lambda: lead.qualify(
                Qualification(fit="y", budget="y", timeline="q3"), at=self.now
            ),
            "disqualify": lambda: lead.disqualify("no budget", at=self.now),
            "reopen": lambda: lead.reopen(at=self.now),
            "convert": lambda: lead.convert(at=self.now),
        }
        result = commands[move]()
        expected = SPEC_LEAD_MOVES.get((self.model, move))
        if expected is None:
            assert isinstance(result, Failure)
            assert result.failure().state == self.model
            return
        assert isinstance(result, Success)
        value = result.unwrap()
        before = self.lead
        self.lead = value if isinstance(value, Lead) else value.entity
        # each move emits its own event (convert leaves LeadConverted to the caller)
        expected_events: dict[str, tuple[DomainEvent, ...]] = {
            "qualify": (LeadQualified(lead_id=before.id, email="a@b.co"),),
            "disqualify": (LeadDisqualified(lead_id=before.id, reason="no budget"),),
            "reopen": (LeadReopened(lead_id=before.id),),
        }
        if move == "convert":
            assert isinstance(value, Lead)
        else:
            assert isinstance(value, Changed)
            assert value.events == expected_events[move]
        assert self.lead.updated_at == self.now
        assert self.lead.disqualify_reason == ("no budget" if expected == "disqualified" else None)
        self.model = expected
        self.ever_converted |= expected == "converted"

    @invariant()
    def status_matches_the_model(self) -> None:
        assert self.lead.status == LeadStatus(self.model)

    @invariant()
    def converted_never_reverts(self) -> None:
        if self.ever_converted:
            assert self.lead.status == LeadStatus.CONVERTED

    @invariant()
    def qualified_leads_carry_their_criteria(self) -> None:
        if self.lead.status in (LeadStatus.QUALIFIED, LeadStatus.CONVERTED):
            assert self.lead.qualification is not None


FUNNEL_ORDER = ["visitor", "lead", "trial", "activated", "converted", "retained", "advocate"]


class FunnelMachine(RuleBasedStateMachine):
    """The b2c funnel never goes back, and advocate is final."""

    def __init__(self) -> None:
        super().__init__()
        self.journey = FunnelJourney.start(FunnelStage.VISITOR, T0)
        self.now = T0

    @rule(stage=st.sampled_from(FUNNEL_ORDER), step=deltas)
    def advance(self, stage: str, step: timedelta) -> None:
        self.now += step
        before = FUNNEL_ORDER.index(self.journey.stage)
        result = self.journey.advance(FunnelStage(stage), at=self.now)
        if FUNNEL_ORDER.index(stage) <= before:
            assert isinstance(result, Failure)
        else:
            assert isinstance(result, Success)
            self.journey = result.unwrap()

    @rule(back=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3)))
    def advance_in_the_past_is_refused(self, back: timedelta) -> None:
        if self.journey.stage != FunnelStage.ADVOCATE:
            nxt = FunnelStage(FUNNEL_ORDER[FUNNEL_ORDER.index(self.journey.stage) + 1])
            last = self.journey.history[-1].at
            assert isinstance(self.journey.advance(nxt, at=last - back), Failure)

    @invariant()
    def history_moves_forward_in_order_and_time(self) -> None:
        stages = [FUNNEL_ORDER.index(e.stage) for e in self.journey.history]
        times = [e.at for e in self.journey.history]
        assert stages == sorted(set(stages))
        assert times == sorted(times)
        assert self.journey.history[-1].stage == self.journey.stage


PIPELINE_ORDER = ["lead", "qualified", "meeting", "proposal", "negotiation", "contract"]
FINAL = {"closed_won", "closed_lost"}


class PipelineMachine(RuleBasedStateMachine):
    """A deal driven by advance / move_to / win / lose against the C4 rules."""

    @initialize(start=st.sampled_from(PIPELINE_ORDER))
    def open_deal(self, start: str) -> None:
        self.now = T0
        self.deal = Deal(
            id=DealId(UUID(int=2)),
            title="t",
            amount=Money.of("100"),
            stage=DealStage(start),
            created_at=T0,
            updated_at=T0,
        )
        self.closed_as: str | None = None

    def _apply(self, result: object, *, allowed: bool, reason: str | None = None) -> None:
        if not allowed:
            assert isinstance(result, Failure)
            return
        assert isinstance(result, Success)
        before = self.deal
        self.deal = result.unwrap().entity
        self._check_events(before, result.unwrap().events, reason)

    def _check_events(
        self, before: Deal, events: tuple[DomainEvent, ...], reason: str | None
    ) -> None:
        """Every move emits its stage change (with the reason for a skip); a close adds the
        won or lost hand-off (C4, C13)."""
        after = self.deal
        expected: list[DomainEvent] = [
            DealStageChanged(
                deal_id=before.id, from_stage=before.stage, to_stage=after.stage, reason=reason
            )
        ]
        if after.stage == DealStage.CLOSED_WON:
            expected.append(DealWon(deal_id=before.id, amount=Decimal("100"), currency="USD"))
        elif after.stage == DealStage.CLOSED_LOST:
            assert after.lost_reason is not None
            expected.append(DealLost(deal_id=before.id, reason=after.lost_reason))
        assert list(events) == expected
        assert after.history[-1] == StageChange(
            from_stage=before.stage, to_stage=after.stage, at=self.now
        )
        assert after.updated_at == self.now

    @rule(step=deltas)
    def advance(self, step: timedelta) -> None:
        self.now += step
        before = str(self.deal.stage)
        result = self.deal.advance(at=self.now)
        self._apply(result, allowed=self.closed_as is None)
        if self.closed_as is None:
            # advance lands on the next stage of the C4 order (contract → closed won)
            order = [*PIPELINE_ORDER, "closed_won"]
            assert str(self.deal.stage) == order[order.index(before) + 1]
        if self.closed_as is None and self.deal.stage == DealStage.CLOSED_WON:
            self.closed_as = "closed_won"

    @rule(
        stage=st.sampled_from([*PIPELINE_ORDER, "closed_won"]),
        reason=st.sampled_from([None, "", " ", "signed early"]),
        step=deltas,
    )
    def move_to(self, stage: str, reason: str | None, step: timedelta) -> None:
        self.now += step
        before = str(self.deal.stage)
        result = self.deal.move_to(DealStage(stage), at=self.now, skip_reason=reason)
        path = [*PIPELINE_ORDER, "closed_won"]
        # one stage forward or back, or further with a non-blank reason (C4 + issue 16)
        near = before in path and abs(path.index(stage) - path.index(before)) == 1
        given = bool(reason and reason.strip())
        allowed = self.closed_as is None and stage != before and (near or given)
        self._apply(result, allowed=allowed, reason=None if near else (reason or "").strip())
        if allowed and stage == "closed_won":
            self.closed_as = "closed_won"

    @rule(step=deltas)
    def win(self, step: timedelta) -> None:
        self.now += step
        self._apply(self.deal.win(at=self.now), allowed=self.closed_as is None)
        self.closed_as = self.closed_as or "closed_won"

    @rule(reason=st.sampled_from(["", "  ", "price", "went with a competitor"]), step=deltas)
    def lose(self, reason: str, step: timedelta) -> None:
        self.now += step
        ok = self.closed_as is None and bool(reason.strip())
        self._apply(self.deal.lose(reason, at=self.now), allowed=ok)
        if ok:
            self.closed_as = "closed_lost"

    @invariant()
    def a_closed_deal_stays_closed_the_same_way(self) -> None:
        if self.closed_as is not None:
            assert self.deal.stage == DealStage(self.closed_as)

    @invariant()
    def closed_lost_always_has_a_reason(self) -> None:
        if self.deal.stage == DealStage.CLOSED_LOST:
            assert self.deal.lost_reason

    @invariant()
    def history_timestamps_never_go_back(self) -> None:
        times = [c.at for c in self.deal.history]
        assert times == sorted(times)
        for prev, nxt in zip(self.deal.history, self.deal.history[1:], strict=False):
            assert prev.to_stage == nxt.from_stage

    @invariant()
    def probability_is_certain_only_when_closed(self) -> None:
        if self.deal.stage == DealStage.CLOSED_WON:
            assert self.deal.probability == 100
        elif self.deal.stage == DealStage.CLOSED_LOST:
            assert self.deal.probability == 0
        else:
            assert 0 < self.deal.probability < 100

    @invariant()
    def closed_deals_have_an_actual_close_date(self) -> None:
        assert (self.deal.actual_close is not None) == (str(self.deal.stage) in FINAL)


TestLeadStatus = LeadStatusMachine.TestCase
TestFunnel = FunnelMachine.TestCase
TestPipeline = PipelineMachine.TestCase
