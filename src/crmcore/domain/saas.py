"""SaaS metrics (C11) from billing facts: MRR, ARR, growth, churn, NRR, LTV, CAC, payback,
NPS, each beside its target and a status.

A customer's *MRR in a month* is what they paid in it less refunds (the billing port
reports payments as they happen; a subscription paid monthly is its MRR). A customer is
*active* in a month with MRR > 0. For month ``m`` against the month before:

- growth = MRR(m) / MRR(m-1) - 1;
- logo churn = customers active in m-1 and not in m, over those active in m-1;
- revenue churn = MRR lost from them plus contraction of the others, over MRR(m-1);
- NRR = this month's MRR of the customers active last month over MRR(m-1) (upsell
  and downgrades count, new customers do not);
- ARPA = MRR / active customers; LTV = ARPA / logo churn (mean of the window);
- CAC = marketing and sales spend / new customers (the spend is an input: the CRM does
  not record it); LTV:CAC; payback months = CAC / ARPA;
- NPS = % promoters (9-10) - % detractors (0-6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

import attrs

from crmcore.domain.funnel_metrics import Status, status

#: The source's targets (C11); CAC and LTV targets are unset by default.
MRR_GROWTH_TARGET = 0.10
CHURN_TARGET = 0.05
NRR_TARGET = 1.00
LTV_CAC_TARGET = 3.0
PAYBACK_TARGET_MONTHS = 12.0


@attrs.frozen(kw_only=True)
class BillingMonth:
    """What one customer paid and got refunded in one month (``YYYY-MM``)."""

    contact_id: UUID
    month: str
    paid: Decimal
    refunded: Decimal = Decimal(0)

    @property
    def mrr(self) -> Decimal:
        """Payments less refunds."""
        return self.paid - self.refunded


@attrs.frozen(kw_only=True)
class MonthMetrics:
    """One month's MRR movement."""

    month: str
    mrr: Decimal
    customers: int
    new_customers: int
    churned_customers: int
    growth: float | None
    logo_churn: float | None
    revenue_churn: float | None
    nrr: float | None


@attrs.frozen(kw_only=True)
class Metric:
    """A headline metric beside its target."""

    name: str
    value: float | None
    target: str
    status: Status


def monthly(rows: Sequence[BillingMonth], months: Sequence[str]) -> list[MonthMetrics]:
    """The MRR movement of each of ``months`` (consecutive, oldest first)."""
    per: dict[str, dict[UUID, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        per[row.month][row.contact_id] += row.mrr
    out: list[MonthMetrics] = []
    before: dict[UUID, Decimal] | None = None
    for month in months:
        now = {c: v for c, v in per.get(month, {}).items() if v > 0}
        mrr = sum(now.values(), Decimal(0))
        growth = logo = revenue = nrr = None
        new = churned = 0
        if before is not None:
            base = sum(before.values(), Decimal(0))
            churned = sum(1 for c in before if c not in now)
            new = sum(1 for c in now if c not in before)
            if base > 0:
                growth = float(mrr / base) - 1
                kept = sum((now.get(c, Decimal(0)) for c in before), Decimal(0))
                lost = sum(
                    (max(v - now.get(c, Decimal(0)), Decimal(0)) for c, v in before.items()),
                    Decimal(0),
                )
                revenue = float(lost / base)
                nrr = float(kept / base)
                logo = churned / len(before)
        else:
            new = len(now)
        out.append(
            MonthMetrics(
                month=month,
                mrr=mrr,
                customers=len(now),
                new_customers=new,
                churned_customers=churned,
                growth=growth,
                logo_churn=logo,
                revenue_churn=revenue,
                nrr=nrr,
            )
        )
        before = now
    return out


def nps(scores: Sequence[int]) -> float | None:
    """% promoters (9-10) minus % detractors (0-6); None without answers."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def headline(
    months: Sequence[MonthMetrics],
    *,
    nps_scores: Sequence[int] = (),
    spend: Decimal | None = None,
    cac_target: Decimal | None = None,
    ltv_target: Decimal | None = None,
) -> list[Metric]:
    """The headline metrics of the window: the last month's MRR, ARR, growth, churn and
    NRR; LTV from the window's mean churn; CAC from ``spend`` over the window's new
    customers; NPS of the answers."""
    last = months[-1] if months else None
    growth, logo_churn, lost, nrr_ = (
        (last.growth, last.logo_churn, last.revenue_churn, last.nrr) if last else (None,) * 4
    )
    mrr = float(last.mrr) if last else None
    arpa = mrr / last.customers if mrr is not None and last and last.customers else None
    churn = _mean([m.logo_churn for m in months])
    ltv = arpa / churn if arpa is not None and churn else None
    new = (
        sum(m.new_customers for m in months[1:])
        if len(months) > 1
        else sum(m.new_customers for m in months)
    )
    cac = float(spend) / new if spend is not None and new else None
    ratio = ltv / cac if ltv is not None and cac else None
    payback = cac / arpa if cac is not None and arpa else None
    score = nps(nps_scores)

    def judged(name: str, value: float | None, target: str, met: bool | None) -> Metric:
        state = status(met) if met is not None else Status.NO_TARGET
        if target and (value is None or met is None):
            state = Status.NO_DATA
        return Metric(name=name, value=value, target=target, status=state)

    def over(value: float | None, line: float) -> bool | None:
        return None if value is None else value > line

    def under(value: float | None, line: float) -> bool | None:
        return None if value is None else value < line

    return [
        judged("mrr", mrr, "", None),
        judged("arr", None if mrr is None else mrr * 12, "", None),
        judged("mrr_growth", growth, "> 10 % MoM", over(growth, MRR_GROWTH_TARGET)),
        judged("logo_churn", logo_churn, "< 5 % monthly", under(logo_churn, CHURN_TARGET)),
        judged("revenue_churn", lost, "< 5 % monthly", under(lost, CHURN_TARGET)),
        judged("nrr", nrr_, "> 100 %", over(nrr_, NRR_TARGET)),
        judged("arpa", arpa, "", None),
        judged(
            "ltv",
            ltv,
            f"> {ltv_target}" if ltv_target is not None else "",
            over(ltv, float(ltv_target)) if ltv_target is not None else None,
        ),
        judged(
            "cac",
            cac,
            f"< {cac_target}" if cac_target is not None else "",
            under(cac, float(cac_target)) if cac_target is not None else None,
        ),
        judged("ltv_cac", ratio, "> 3:1", over(ratio, LTV_CAC_TARGET)),
        judged("payback_months", payback, "< 12 months", under(payback, PAYBACK_TARGET_MONTHS)),
        judged("nps", score, "", None),
    ]
