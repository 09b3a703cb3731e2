"""Deal metrics (C4, C11): win rate, average deal size, sales cycle, win/loss by reason,
owner and source, and the probability-weighted forecast per month.

A deal *closed* when it entered ``closed_won`` or ``closed_lost``; the cycle of a won deal
runs from its first history entry (or creation) to that close. Amounts are summed per
currency, never across currencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from crmcore.domain.funnel_metrics import Status, status
from crmcore.domain.ids import DealId
from crmcore.domain.pipeline import CLOSED_STAGES, Deal, DealStage

#: C4/C11: the sales cycle target, in days.
CYCLE_TARGET_DAYS = 60.0
#: Where a deal without a month to close goes in the forecast.
UNSCHEDULED = "unscheduled"


@attrs.frozen(kw_only=True)
class DealSummary:
    """The headline metrics of one currency's deals closed in the window."""

    currency: str
    won: int
    lost: int
    win_rate: float | None
    average_won: Decimal | None
    cycle_days: float | None
    cycle_status: Status
    open_deals: int
    pipeline: Decimal
    forecast: Decimal


@attrs.frozen(kw_only=True)
class Breakdown:
    """Won and lost deals (closed in the window) of one value of one dimension."""

    dimension: str
    key: str
    won: int
    lost: int
    win_rate: float | None
    won_amount: Decimal


@attrs.frozen(kw_only=True)
class ForecastMonth:
    """Open deals expected to close in ``month``: their value and probability-weighted
    value, per currency."""

    month: str
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


def closed_at(deal: Deal) -> datetime | None:
    """When the deal entered its closed stage (None while open)."""
    if deal.stage not in CLOSED_STAGES:
        return None
    return next((c.at for c in reversed(deal.history) if c.to_stage is deal.stage), deal.updated_at)


def opened_at(deal: Deal) -> datetime:
    """When the deal entered the pipeline."""
    return deal.history[0].at if deal.history else deal.created_at


def _in(at: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    return at is not None and (since is None or at >= since) and (until is None or at < until)


def _rate(won: int, lost: int) -> float | None:
    return won / (won + lost) if won + lost else None


def summaries(
    deals: Sequence[Deal], *, since: datetime | None = None, until: datetime | None = None
) -> list[DealSummary]:
    """One summary per currency: closed deals of the window, open deals now."""
    out = []
    for currency in sorted({d.amount.currency for d in deals}):
        mine = [d for d in deals if d.amount.currency == currency]
        closed = [d for d in mine if _in(closed_at(d), since, until)]
        won = [d for d in closed if d.stage is DealStage.CLOSED_WON]
        lost = [d for d in closed if d.stage is DealStage.CLOSED_LOST]
        cycles = [
            ((closed_at(d) or opened_at(d)) - opened_at(d)).total_seconds() / 86400 for d in won
        ]
        cycle = sum(cycles) / len(cycles) if cycles else None
        open_ = [d for d in mine if d.stage not in CLOSED_STAGES]
        out.append(
            DealSummary(
                currency=currency,
                won=len(won),
                lost=len(lost),
                win_rate=_rate(len(won), len(lost)),
                average_won=sum((d.amount.amount for d in won), Decimal(0)) / len(won)
                if won
                else None,
                cycle_days=cycle,
                cycle_status=Status.NO_DATA if cycle is None else status(cycle < CYCLE_TARGET_DAYS),
                open_deals=len(open_),
                pipeline=sum((d.amount.amount for d in open_), Decimal(0)),
                forecast=sum((d.weighted_amount.amount for d in open_), Decimal(0)),
            )
        )
    return out


def breakdowns(
    deals: Sequence[Deal],
    sources: Mapping[DealId, str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Breakdown]:
    """Win/loss per lost reason, owner and source of the deals closed in the window."""
    closed = [d for d in deals if _in(closed_at(d), since, until)]
    keys: dict[str, Callable[[Deal], str | None]] = {
        "reason": lambda d: d.lost_reason if d.stage is DealStage.CLOSED_LOST else "(won)",
        "owner": lambda d: d.owner,
        "source": lambda d: sources.get(d.id),
    }
    out = []
    for dimension, key in keys.items():
        groups: dict[str, list[Deal]] = defaultdict(list)
        for d in closed:
            groups[key(d) or "(none)"].append(d)
        for value, members in sorted(groups.items()):
            won = [d for d in members if d.stage is DealStage.CLOSED_WON]
            lost = len(members) - len(won)
            out.append(
                Breakdown(
                    dimension=dimension,
                    key=value,
                    won=len(won),
                    lost=lost,
                    win_rate=_rate(len(won), lost),
                    won_amount=sum((d.amount.amount for d in won), Decimal(0)),
                )
            )
    return out


def forecast(deals: Sequence[Deal]) -> list[ForecastMonth]:
    """Open deals per expected-close month and currency: amount × probability summed."""
    cells: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for d in deals:
        if d.stage in CLOSED_STAGES:
            continue
        month = d.expected_close.strftime("%Y-%m") if d.expected_close else UNSCHEDULED
        cell = cells[(month, d.amount.currency)]
        cell[0] += 1
        cell[1] += d.amount.amount
        cell[2] += d.weighted_amount.amount
    return [
        ForecastMonth(month=m, currency=c, deals=int(n), amount=a, weighted=w)
        for (m, c), (n, a, w) in sorted(cells.items())
    ]
