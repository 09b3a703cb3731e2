"""Deal metrics pinned: when a deal closed and opened, the window's bounds (since included,
until excluded), per-currency summaries with the cycle target on its line, every
breakdown row written out, and the forecast cells."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest

from crmcore.domain.deal_metrics import (
    UNSCHEDULED,
    Breakdown,
    DealSummary,
    ForecastMonth,
    breakdowns,
    closed_at,
    forecast,
    opened_at,
    summaries,
)
from crmcore.domain.funnel_metrics import Status
from crmcore.domain.ids import DealId
from crmcore.domain.money import Money
from crmcore.domain.pipeline import Deal, DealStage, StageChange

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WON, LOST, LEAD = DealStage.CLOSED_WON, DealStage.CLOSED_LOST, DealStage.LEAD


def deal(
    n: int,
    stage: DealStage,
    hours: float,
    *,
    amount: int = 1000,
    currency: str = "USD",
    **extra: Any,
) -> Deal:
    history = [StageChange(from_stage=None, to_stage=LEAD, at=T0)]
    if stage is not LEAD:
        history.append(StageChange(from_stage=LEAD, to_stage=stage, at=T0 + timedelta(hours=hours)))
    base = Deal(
        id=DealId(UUID(int=n)),
        title=f"d{n}",
        amount=Money.of(Decimal(amount), currency),
        created_at=T0 - timedelta(days=5),
        updated_at=T0 + timedelta(days=400),
    )
    return attrs.evolve(base, stage=stage, history=tuple(history), **extra)


def test_a_deal_closes_when_it_last_entered_its_closed_stage() -> None:
    assert closed_at(deal(1, LEAD, 0)) is None
    assert closed_at(deal(1, DealStage.PROPOSAL, 3)) is None
    assert closed_at(deal(1, WON, 3)) == T0 + timedelta(hours=3)
    assert closed_at(deal(1, LOST, 4)) == T0 + timedelta(hours=4)
    twice = deal(1, WON, 3)
    again = StageChange(from_stage=LEAD, to_stage=WON, at=T0 + timedelta(hours=9))
    later = attrs.evolve(twice, history=(*twice.history, again))
    assert closed_at(later) == T0 + timedelta(hours=9)
    no_entry = attrs.evolve(twice, history=twice.history[:1])
    assert closed_at(no_entry) == no_entry.updated_at


def test_a_deal_opens_at_its_first_history_entry_else_at_creation() -> None:
    d = deal(1, WON, 3)
    assert opened_at(d) == T0
    assert opened_at(attrs.evolve(d, history=())) == d.created_at


def test_summaries_per_currency_with_the_cycle_target_on_its_line() -> None:
    deals = [
        deal(1, WON, 60 * 24, amount=1000),  # a 60-day cycle
        deal(2, WON, 60 * 24, amount=2001),
        deal(3, LOST, 1),
        deal(4, DealStage.PROPOSAL, 1, amount=400, probability=25),
        deal(5, LEAD, 0, amount=100, probability=10),
        deal(6, WON, 12, currency="EUR", amount=10),
    ]
    eur, usd = summaries(deals)
    assert usd == DealSummary(
        currency="USD",
        won=2,
        lost=1,
        win_rate=2 / 3,
        average_won=Decimal("1500.5"),
        cycle_days=60.0,
        cycle_status=Status.OFF_TARGET,
        open_deals=2,
        pipeline=Decimal(500),
        forecast=Decimal(110),
    )
    assert eur == DealSummary(
        currency="EUR",
        won=1,
        lost=0,
        win_rate=1.0,
        average_won=Decimal(10),
        cycle_days=0.5,
        cycle_status=Status.OK,
        open_deals=0,
        pipeline=Decimal(0),
        forecast=Decimal(0),
    )
    (just_under,) = summaries([deal(1, WON, 60 * 24 - 1)])
    assert just_under.cycle_status is Status.OK
    (open_only,) = summaries([deal(4, DealStage.PROPOSAL, 1)])
    assert (open_only.win_rate, open_only.average_won, open_only.cycle_days) == (None, None, None)
    assert open_only.cycle_status is Status.NO_DATA
    assert summaries([]) == []


def test_the_window_includes_since_and_excludes_until() -> None:
    d = deal(1, WON, 10)
    at = T0 + timedelta(hours=10)
    assert summaries([d], since=at)[0].won == 1
    assert summaries([d], since=at + timedelta(seconds=1))[0].won == 0
    assert summaries([d], until=at + timedelta(seconds=1))[0].won == 1
    assert summaries([d], until=at)[0].won == 0
    assert summaries([d], since=at, until=at + timedelta(seconds=1))[0].won == 1
    assert len(breakdowns([d], {}, since=at)) == 3
    assert breakdowns([d], {}, until=at) == []
    assert breakdowns([d], {}, since=at + timedelta(seconds=1)) == []


def test_every_breakdown_row() -> None:
    deals = [
        deal(1, WON, 1, amount=100, owner="ann"),
        deal(2, WON, 1, amount=50, owner="bob"),
        deal(3, LOST, 1, owner="ann", lost_reason="price"),
        deal(4, LOST, 1),
        deal(5, DealStage.PROPOSAL, 1, owner="ann"),
    ]
    sources = {DealId(UUID(int=1)): "paid", DealId(UUID(int=3)): "paid"}

    def row(dim: str, key: str, won: int, lost: int, amount: int) -> Breakdown:
        rate = won / (won + lost) if won + lost else None
        return Breakdown(
            dimension=dim, key=key, won=won, lost=lost, win_rate=rate, won_amount=Decimal(amount)
        )

    assert breakdowns(deals, sources) == [
        row("reason", "(none)", 0, 1, 0),
        row("reason", "(won)", 2, 0, 150),
        row("reason", "price", 0, 1, 0),
        row("owner", "(none)", 0, 1, 0),
        row("owner", "ann", 1, 1, 100),
        row("owner", "bob", 1, 0, 50),
        row("source", "(none)", 1, 1, 50),
        row("source", "paid", 1, 1, 100),
    ]


def test_the_forecast_cells() -> None:
    deals = [
        deal(1, DealStage.PROPOSAL, 1, amount=400, probability=25, expected_close=date(2026, 3, 9)),
        deal(
            2, DealStage.PROPOSAL, 1, amount=100, probability=50, expected_close=date(2026, 3, 31)
        ),
        deal(
            3, LEAD, 0, amount=10, probability=10, currency="EUR", expected_close=date(2026, 3, 1)
        ),
        deal(4, LEAD, 0, amount=80, probability=50),
        deal(5, WON, 1, amount=999, expected_close=date(2026, 3, 9)),
    ]
    assert forecast(deals) == [
        ForecastMonth(
            month="2026-03", currency="EUR", deals=1, amount=Decimal(10), weighted=Decimal(1)
        ),
        ForecastMonth(
            month="2026-03", currency="USD", deals=2, amount=Decimal(500), weighted=Decimal(150)
        ),
        ForecastMonth(
            month=UNSCHEDULED, currency="USD", deals=1, amount=Decimal(80), weighted=Decimal(40)
        ),
    ]
    assert UNSCHEDULED == "unscheduled"
    assert isinstance(forecast(deals)[0].deals, int)


@pytest.mark.parametrize("stage", [WON, LOST])
def test_closed_deals_are_not_in_the_pipeline(stage: DealStage) -> None:
    (s,) = summaries([deal(1, stage, 1)])
    assert (s.open_deals, s.pipeline, s.forecast) == (0, Decimal(0), Decimal(0))
    assert isinstance(s.pipeline, Decimal)
    assert isinstance(s.forecast, Decimal)
    assert forecast([deal(1, stage, 1)]) == []


def test_a_group_without_won_deals_has_a_decimal_zero_won() -> None:
    (lost_only,) = breakdowns([deal(1, LOST, 1)], {})[:1]
    assert lost_only.won_amount == Decimal(0)
    assert isinstance(lost_only.won_amount, Decimal)
