"""Funnel metrics (C11, C3, C4, P1): per stage how many got there, how many went on, how
long they stayed; for the b2c funnel the P1 activation targets.

A *history* is one journey's stage entries in time order (a contact's b2c funnel, a deal's
pipeline moves). Stages may be skipped, so a journey *reached* a stage when its furthest
stage is that one or a later one; conversion to the next stage is ``reached(next) /
reached(stage)`` and drop-off its complement. *Time in stage* is measured for journeys
that entered the stage and later entered another: from that entry to the next. An entry
whose stage is not in the order (``closed_lost``) only ends the time in the stage before.
Quantiles are nearest-rank (``p90`` is the smallest value with at least 90 % of the values
at or below it). *Velocity* is entries into the stage per day of the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

#: P1 targets (C3): time to activation under 30 minutes, activation rate over 60 %.
ACTIVATION_TIME_TARGET = timedelta(minutes=30)
ACTIVATION_RATE_TARGET = 0.60


class Status(StrEnum):
    """A metric against its target."""

    OK = "ok"
    OFF_TARGET = "off target"
    NO_DATA = "no data"
    NO_TARGET = "no target"


@attrs.frozen(kw_only=True)
class Entry:
    """A journey entered ``stage`` at ``at``."""

    stage: str
    at: datetime


@attrs.frozen(kw_only=True)
class StageMetrics:
    """One stage of a funnel; durations in hours."""

    stage: str
    entered: int
    reached: int
    conversion_to_next: float | None
    drop_off: float | None
    median_hours: float | None
    p90_hours: float | None
    velocity_per_day: float | None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def funnel_metrics(
    histories: Sequence[Sequence[Entry]], order: Sequence[str], *, days: float | None = None
) -> list[StageMetrics]:
    """Metrics per stage of ``order`` over ``histories`` (``days``: the window's length)."""
    rank = {s: i for i, s in enumerate(order)}
    entered = [0] * len(order)
    reached = [0] * len(order)
    stays: list[list[float]] = [[] for _ in order]
    for history in histories:
        ranks = [rank[e.stage] for e in history if e.stage in rank]
        if ranks:
            for r in range(max(ranks) + 1):
                reached[r] += 1
        seen: set[int] = set()
        for k, e in enumerate(history):
            i = rank.get(e.stage)
            if i is None or i in seen:
                continue
            seen.add(i)
            entered[i] += 1
            if k + 1 < len(history):
                stays[i].append((history[k + 1].at - e.at).total_seconds() / 3600)
    out = []
    for i, stage in enumerate(order):
        last = i + 1 == len(order)
        conversion = None if last or not reached[i] else reached[i + 1] / reached[i]
        out.append(
            StageMetrics(
                stage=stage,
                entered=entered[i],
                reached=reached[i],
                conversion_to_next=conversion,
                drop_off=None if conversion is None else 1 - conversion,
                median_hours=median(stays[i]),
                p90_hours=nearest_rank(stays[i], 0.9),
                velocity_per_day=entered[i] / days if days else None,
            )
        )
    return out


@attrs.frozen(kw_only=True)
class Activation:
    """P1: how fast and how many leads reach activation, against the targets."""

    leads: int
    activated: int
    rate: float | None
    rate_status: Status
    median_minutes: float | None
    time_status: Status


def activation(
    histories: Sequence[Sequence[Entry]],
    order: Sequence[str],
    *,
    start: str = "lead",
    goal: str = "activated",
    time_target: timedelta = ACTIVATION_TIME_TARGET,
    rate_target: float = ACTIVATION_RATE_TARGET,
) -> Activation:
    """Activation rate (journeys that reached ``goal`` among those that reached ``start``)
    and median time from the first entry at or after ``start`` to the first at or after
    ``goal``."""
    rank = {s: i for i, s in enumerate(order)}
    leads = activated = 0
    minutes: list[float] = []
    for history in histories:
        began = next((e.at for e in history if rank.get(e.stage, -1) >= rank[start]), None)
        done = next((e.at for e in history if rank.get(e.stage, -1) >= rank[goal]), None)
        if began is None:
            continue
        leads += 1
        if done is not None:
            activated += 1
            minutes.append((done - began).total_seconds() / 60)
    rate = activated / leads if leads else None
    middle = median(minutes)
    return Activation(
        leads=leads,
        activated=activated,
        rate=rate,
        rate_status=Status.NO_DATA if rate is None else status(rate > rate_target),
        median_minutes=middle,
        time_status=Status.NO_DATA
        if middle is None
        else status(middle < time_target.total_seconds() / 60),
    )


def status(met: bool) -> Status:
    """OK when the target is met."""
    return Status.OK if met else Status.OFF_TARGET
