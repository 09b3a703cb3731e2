"""SaaS metrics and deal metrics by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest

from crmcore.domain.deal_metrics import UNSCHEDULED, breakdowns, forecast, summaries
from crmcore.domain.funnel_metrics import Status
from crmcore.domain.ids import DealId
from crmcore.domain.money import Money
from crmcore.domain.pipeline import Deal, DealStage, StageChange
from crmcore.domain.saas import BillingMonth, headline, monthly, nps

A, B, C = (UUID(int=n) for n in (1, 2, 3))


def pay(who: UUID, month: str, paid: int, refunded: int = 0) -> BillingMonth:
    return BillingMonth(contact_id=who, month=month, paid=Decimal(paid), refunded=Decimal(refunded))


def test_mrr_movement_by_hand() -> None:
    rows = [
        pay(A, "2026-01", 100),
        pay(B, "2026-01", 100),
        pay(A, "2026-02", 150),  # upsell
        pay(B, "2026-02", 60, refunded=10),  # downgrade: 50
        pay(C, "2026-02", 40),  # new
        pay(A, "2026-03", 150),  # B churned
        pay(C, "2026-03", 40),
    ]
    jan, feb, mar = monthly(rows, ["2026-01", "2026-02", "2026-03"])
    assert jan.mrr == 200
    assert (jan.customers, jan.new_customers, jan.growth) == (2, 2, None)
    # Feb: 150 + 50 + 40 = 240; growth 240/200 - 1 = 20 %; kept customers 200 → 200: NRR 1;
    # contraction 50 of 200 = 25 % revenue churn; no logo lost
    assert feb.mrr == 240
    assert feb.growth == pytest.approx(0.2)
    assert feb.nrr == pytest.approx(1.0)
    assert feb.revenue_churn == pytest.approx(0.25)
    assert (feb.logo_churn, feb.new_customers) == (0.0, 1)
    # Mar: 190; B (50) lost: logo churn 1/3, revenue churn 50/240; NRR (150 + 40)/240
    assert mar.mrr == 190
    assert mar.logo_churn == pytest.approx(1 / 3)
    assert mar.revenue_churn == pytest.approx(50 / 240)
    assert mar.nrr == pytest.approx(190 / 240)
    metrics = {
        m.name: m for m in headline([jan, feb, mar], nps_scores=[10, 9, 7, 3], spend=Decimal(100))
    }
    assert metrics["mrr"].value == 190
    assert metrics["arr"].value == 190 * 12
    assert metrics["mrr_growth"].status is Status.OFF_TARGET  # 190/240 - 1 < 10 %
    assert metrics["logo_churn"].status is Status.OFF_TARGET  # 33 % ≥ 5 %
    assert metrics["nrr"].status is Status.OFF_TARGET
    # ARPA 190 / 2 = 95; mean logo churn (0 + 1/3) / 2 = 1/6; LTV 95 · 6 = 570
    assert metrics["arpa"].value == pytest.approx(95)
    assert metrics["ltv"].value == pytest.approx(570)
    # CAC: 100 spent over the new customers after the first month (1) = 100
    assert metrics["cac"].value == pytest.approx(100)
    assert metrics["ltv_cac"].value == pytest.approx(5.7)
    assert metrics["ltv_cac"].status is Status.OK
    assert metrics["payback_months"].value == pytest.approx(100 / 95)
    assert metrics["payback_months"].status is Status.OK
    assert metrics["nps"].value == pytest.approx(25.0)  # 2 promoters, 1 detractor of 4


def test_nps_and_empty_windows() -> None:
    assert nps([]) is None
    assert nps([6, 6]) == -100
    assert {m.status for m in headline([])} <= {Status.NO_DATA, Status.NO_TARGET}


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def deal(n: int, stage: DealStage, days: int, **extra: Any) -> Deal:
    history = [StageChange(from_stage=None, to_stage=DealStage.LEAD, at=T0)]
    if stage is not DealStage.LEAD:
        history.append(
            StageChange(from_stage=DealStage.LEAD, to_stage=stage, at=T0 + timedelta(days=days))
        )
    base = Deal(
        id=DealId(UUID(int=n)),
        title=f"d{n}",
        amount=Money.of(Decimal(1000 * n), "USD"),
        created_at=T0,
        updated_at=T0,
    )
    return attrs.evolve(base, stage=stage, history=tuple(history), **extra)


def test_deal_metrics_by_hand() -> None:
    deals = [
        deal(1, DealStage.CLOSED_WON, 30, owner="ann"),
        deal(2, DealStage.CLOSED_WON, 90, owner="bob"),
        deal(3, DealStage.CLOSED_LOST, 10, owner="ann", lost_reason="price"),
        deal(4, DealStage.PROPOSAL, 5, probability=50, expected_close=date(2026, 3, 9)),
        deal(5, DealStage.LEAD, 0, probability=10),
    ]
    (usd,) = summaries(deals)
    assert (usd.won, usd.lost) == (2, 1)
    assert usd.win_rate == pytest.approx(2 / 3)
    assert usd.average_won == 1500  # (1000 + 2000) / 2
    assert usd.cycle_days == pytest.approx(60)  # (30 + 90) / 2: not under 60
    assert usd.cycle_status is Status.OFF_TARGET
    assert usd.open_deals == 2
    assert usd.pipeline == 9000
    assert usd.forecast == 2500  # 4000·0.5 + 5000·0.1
    by = {(b.dimension, b.key): b for b in breakdowns(deals, {DealId(UUID(int=1)): "paid"})}
    assert (by[("owner", "ann")].won, by[("owner", "ann")].lost) == (1, 1)
    assert by[("reason", "price")].lost == 1
    assert by[("source", "paid")].won == 1
    assert by[("source", "(none)")].won + by[("source", "(none)")].lost == 2
    months = {(f.month, f.currency): f for f in forecast(deals)}
    assert months[("2026-03", "USD")].weighted == 2000
    assert months[(UNSCHEDULED, "USD")].weighted == 500
