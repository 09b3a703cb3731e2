"""Funnel reports: the b2c funnel (contacts' journeys) and the b2b pipeline (deals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import attrs
from returns.result import Result, Success

from crmcore.app.analytics.touchpoints import bounds
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.funnel import FUNNEL_ORDER
from crmcore.domain.funnel_metrics import (
    Activation,
    Entry,
    StageMetrics,
    activation,
    funnel_metrics,
)
from crmcore.domain.pipeline import DealStage
from crmcore.ports.uow import UnitOfWork

B2C_ORDER: tuple[str, ...] = tuple(s.value for s in FUNNEL_ORDER)
#: The pipeline as a funnel: the open stages, then won (a lost deal stops where it was).
B2B_ORDER: tuple[str, ...] = tuple(s.value for s in DealStage if s is not DealStage.CLOSED_LOST)


@attrs.frozen(kw_only=True)
class FunnelReport:
    """Per-stage metrics, and for the b2c funnel the P1 activation targets."""

    kind: str
    journeys: int
    stages: tuple[StageMetrics, ...]
    activation: Activation | None


def _days(
    histories: Sequence[Sequence[Entry]], start: datetime | None, end: datetime | None
) -> float | None:
    times = [e.at for h in histories for e in h]
    first = start or (min(times) if times else None)
    last = end or (max(times) if times else None)
    if first is None or last is None or last <= first:
        return None
    return (last - first).total_seconds() / 86400


def funnel_report(
    app: App, *, b2b: bool = False, since: date | None = None, until: date | None = None
) -> Result[FunnelReport, AppError]:
    """The funnel of journeys that began in the window (b2c: contacts; b2b: deals)."""
    start, end = bounds(since, until)

    def work(uow: UnitOfWork) -> Result[FunnelReport, AppError]:
        if b2b:
            histories: list[Sequence[Entry]] = [
                [Entry(stage=c.to_stage.value, at=c.at) for c in deal.history]
                for deal in uow.deals.list()
                if deal.history
                and (start is None or deal.history[0].at >= start)
                and (end is None or deal.history[0].at < end)
            ]
            order = B2B_ORDER
        else:
            histories = list(uow.analytics.funnel_histories(since=start, until=end))
            order = B2C_ORDER
        stages = funnel_metrics(histories, order, days=_days(histories, start, end))
        return Success(
            FunnelReport(
                kind="b2b" if b2b else "b2c",
                journeys=len(histories),
                stages=tuple(stages),
                activation=None if b2b else activation(histories, order),
            )
        )

    return transact(app, work, commit=False)
