"""SaaS metrics pinned: MRR movement around empty months and refunds, NPS on its bands'
edges, and every headline metric's value, target text and status, each target tried on
its line (not met: the comparisons are strict) and just past it."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from crmcore.domain.funnel_metrics import Status
from crmcore.domain.saas import BillingMonth, Metric, MonthMetrics, headline, monthly, nps

A, B = UUID(int=1), UUID(int=2)
D = Decimal
OK, OFF, NO_DATA, NO_TARGET = Status.OK, Status.OFF_TARGET, Status.NO_DATA, Status.NO_TARGET


def pay(who: UUID, month: str, paid: int, refunded: int = 0) -> BillingMonth:
    return BillingMonth(contact_id=who, month=month, paid=Decimal(paid), refunded=Decimal(refunded))


def test_mrr_is_payments_less_refunds_and_only_positive_mrr_is_active() -> None:
    rows = [
        pay(A, "2026-01", 100, refunded=100),
        pay(B, "2026-01", 30, refunded=50),
        pay(B, "2026-01", 10),
    ]
    (jan,) = monthly(rows, ["2026-01"])
    assert (jan.mrr, jan.customers, jan.new_customers) == (Decimal(0), 0, 0)
    rows.append(pay(B, "2026-01", 11))  # B: 30 - 50 + 10 + 11 = 1
    (jan,) = monthly(rows, ["2026-01"])
    assert (jan.mrr, jan.customers, jan.new_customers) == (Decimal(1), 1, 1)


def test_a_month_after_an_empty_one_has_no_ratios() -> None:
    rows = [pay(A, "2026-02", 100), pay(B, "2026-02", 50)]
    jan, feb, mar = monthly(rows, ["2026-01", "2026-02", "2026-03"])
    assert (jan.mrr, jan.customers, jan.new_customers, jan.churned_customers) == (D(0), 0, 0, 0)
    assert (feb.mrr, feb.customers, feb.new_customers, feb.churned_customers) == (D(150), 2, 2, 0)
    assert (feb.growth, feb.logo_churn, feb.revenue_churn, feb.nrr) == (None, None, None, None)
    assert (mar.mrr, mar.customers, mar.new_customers, mar.churned_customers) == (D(0), 0, 0, 2)
    assert (mar.growth, mar.logo_churn, mar.revenue_churn, mar.nrr) == (-1.0, 1.0, 1.0, 0.0)
    assert [m.month for m in (jan, feb, mar)] == ["2026-01", "2026-02", "2026-03"]


def test_growth_nrr_and_churn_of_an_upsell_and_a_new_customer() -> None:
    rows = [pay(A, "2026-01", 100), pay(A, "2026-02", 125), pay(B, "2026-02", 25)]
    _, feb = monthly(rows, ["2026-01", "2026-02"])
    assert (feb.growth, feb.nrr, feb.revenue_churn, feb.logo_churn) == (0.5, 1.25, 0.0, 0.0)
    assert (feb.new_customers, feb.churned_customers, feb.customers) == (1, 0, 2)


@pytest.mark.parametrize(
    ("scores", "value"),
    [
        ([], None),
        ([10], 100.0),
        ([9], 100.0),
        ([8], 0.0),
        ([7], 0.0),
        ([6], -100.0),
        ([0], -100.0),
        ([10, 9, 8, 6], 25.0),
    ],
)
def test_nps_bands(scores: list[int], value: float | None) -> None:
    assert nps(scores) == value


def mm(
    mrr: int,
    customers: int,
    new: int,
    *,
    growth: float | None = None,
    logo: float | None = None,
    revenue: float | None = None,
    nrr: float | None = None,
) -> MonthMetrics:
    return MonthMetrics(
        month="m",
        mrr=Decimal(mrr),
        customers=customers,
        new_customers=new,
        churned_customers=0,
        growth=growth,
        logo_churn=logo,
        revenue_churn=revenue,
        nrr=nrr,
    )


def table(metrics: list[Metric]) -> dict[str, tuple[object, str, Status]]:
    return {m.name: (m.value, m.target, m.status) for m in metrics}


def test_headline_targets_are_not_met_on_their_lines() -> None:
    months = [
        mm(100, 2, 2, logo=None),
        mm(120, 4, 3, growth=0.10, logo=0.25, revenue=0.05, nrr=1.0),
    ]
    got = table(
        headline(
            months,
            nps_scores=[9, 8, 7, 6],
            spend=Decimal(120),
            ltv_target=Decimal(120),
            cac_target=Decimal(40),
        )
    )
    # ARPA 120 / 4 = 30; mean churn 0.25 (the first month has none) → LTV 120;
    # CAC 120 spent over 3 new customers after the first month = 40; LTV:CAC 3; payback 4/3
    assert got == {
        "mrr": (120.0, "", NO_TARGET),
        "arr": (1440.0, "", NO_TARGET),
        "mrr_growth": (0.10, "> 10 % MoM", OFF),
        "logo_churn": (0.25, "< 5 % monthly", OFF),
        "revenue_churn": (0.05, "< 5 % monthly", OFF),
        "nrr": (1.0, "> 100 %", OFF),
        "arpa": (30.0, "", NO_TARGET),
        "ltv": (120.0, "> 120", OFF),
        "cac": (40.0, "< 40", OFF),
        "ltv_cac": (3.0, "> 3:1", OFF),
        "payback_months": (40 / 30, "< 12 months", OK),
        "nps": (0.0, "", NO_TARGET),
    }
    assert list(got) == [m.name for m in headline(months)]


def test_headline_targets_are_met_just_past_their_lines() -> None:
    months = [
        mm(100, 2, 2, logo=0.5),
        mm(120, 4, 1, growth=0.11, logo=0.04, revenue=0.04, nrr=1.01),
    ]
    # mean churn (0.5 + 0.04) / 2 = 0.27; LTV 30 / 0.27; CAC 5 / 1 new = 5
    ltv = 30 / 0.27
    got = table(headline(months, spend=Decimal(5), ltv_target=Decimal(111), cac_target=Decimal(6)))
    assert got["mrr_growth"] == (0.11, "> 10 % MoM", OK)
    assert got["logo_churn"] == (0.04, "< 5 % monthly", OK)
    assert got["revenue_churn"] == (0.04, "< 5 % monthly", OK)
    assert got["nrr"] == (1.01, "> 100 %", OK)
    assert got["ltv"] == (pytest.approx(ltv), "> 111", OK)
    assert got["cac"] == (5.0, "< 6", OK)
    assert got["ltv_cac"] == (pytest.approx(ltv / 5), "> 3:1", OK)
    assert got["payback_months"] == (pytest.approx(5 / 30), "< 12 months", OK)
    assert got["nps"] == (None, "", NO_TARGET)


def test_payback_of_exactly_12_months_is_off_target() -> None:
    months = [mm(30, 1, 1), mm(30, 1, 1, logo=0.5)]
    got = table(headline(months, spend=Decimal(360)))
    assert got["payback_months"] == (12.0, "< 12 months", OFF)
    got = table(headline(months, spend=Decimal(359)))
    assert got["payback_months"] == (pytest.approx(359 / 30), "< 12 months", OK)


def test_without_months_every_target_has_no_data() -> None:
    got = table(headline([], spend=Decimal(10), ltv_target=Decimal(1), cac_target=Decimal(1)))
    assert got == {
        "mrr": (None, "", NO_TARGET),
        "arr": (None, "", NO_TARGET),
        "mrr_growth": (None, "> 10 % MoM", NO_DATA),
        "logo_churn": (None, "< 5 % monthly", NO_DATA),
        "revenue_churn": (None, "< 5 % monthly", NO_DATA),
        "nrr": (None, "> 100 %", NO_DATA),
        "arpa": (None, "", NO_TARGET),
        "ltv": (None, "> 1", NO_DATA),
        "cac": (None, "< 1", NO_DATA),
        "ltv_cac": (None, "> 3:1", NO_DATA),
        "payback_months": (None, "< 12 months", NO_DATA),
        "nps": (None, "", NO_TARGET),
    }


def test_one_month_counts_its_own_new_customers_for_cac() -> None:
    got = table(headline([mm(50, 0, 5)], spend=Decimal(10)))
    assert got["cac"] == (2.0, "", NO_TARGET)
    assert got["arpa"] == (None, "", NO_TARGET)  # no active customer
    assert got["payback_months"] == (None, "< 12 months", NO_DATA)
    assert got["mrr"] == (50.0, "", NO_TARGET)


def test_no_churn_no_spend_or_no_new_customer_leave_their_metrics_empty() -> None:
    months = [mm(100, 2, 2, logo=0.0), mm(100, 2, 0, logo=0.0)]
    got = table(headline(months, spend=Decimal(10)))
    assert got["ltv"] == (None, "", NO_TARGET)  # no churn: no finite lifetime
    assert got["cac"] == (None, "", NO_TARGET)  # no new customer after the first month
    assert got["arpa"] == (50.0, "", NO_TARGET)
    assert table(headline(months))["cac"] == (None, "", NO_TARGET)


def test_a_base_of_one_still_has_ratios_and_mrr_is_a_decimal() -> None:
    jan, feb = monthly([pay(A, "2026-01", 1), pay(A, "2026-02", 2)], ["2026-01", "2026-02"])
    assert (feb.growth, feb.nrr, feb.revenue_churn, feb.logo_churn) == (1.0, 2.0, 0.0, 0.0)
    (empty,) = monthly([], ["2026-01"])
    assert isinstance(empty.mrr, Decimal)
    assert isinstance(jan.mrr, Decimal)
