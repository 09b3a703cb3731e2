"""Customer status from the facts the pipeline keeps (C9 statuses hot / leaving / new).

A deterministic rule set, the default "customer insight": it reads the *whole* fact set
sorted by time, so the status does not depend on the order events were processed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from crmcore.domain.money import Money
from crmcore.domain.sentiment import SentimentLabel

Scalar = str | int | float | bool | None

#: A purchase this long after the previous one is a return after postponing (design choice).
COMEBACK_GAP = timedelta(days=30)
#: Three purchases within this window make a customer hot (design choice).
BURST_WINDOW = timedelta(days=30)
DETRACTOR_NPS = 6


class CustomerStatus(StrEnum):
    """The CLV article's statuses, plus ``active`` for everyone else."""

    NEW = "new"
    ACTIVE = "active"
    HOT = "hot"
    LEAVING = "leaving"


@attrs.frozen(kw_only=True)
class CustomerFacts:
    """What the pipeline knows about one customer's behaviour."""

    purchases: tuple[tuple[datetime, Money], ...] = ()
    email_opens: int = 0
    email_clicks: int = 0
    logins: int = 0
    sentiments: tuple[tuple[datetime, SentimentLabel], ...] = ()
    cancelled: bool = False
    loyalty: Mapping[str, Scalar] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Insight:
    """A status and the reasons that drove it."""

    status: CustomerStatus
    reasons: tuple[str, ...] = ()


_CAME_BACK = Insight(status=CustomerStatus.HOT, reasons=("came back after postponing",))
_BURST = Insight(status=CustomerStatus.HOT, reasons=("three purchases within 30 days",))
_NEW = Insight(status=CustomerStatus.NEW, reasons=("at most one purchase",))
_ACTIVE = Insight(status=CustomerStatus.ACTIVE)


def assess(facts: CustomerFacts) -> Insight:
    """leaving > hot > new > active, each with its reasons."""
    leaving: list[str] = []
    if facts.cancelled:
        leaving.append("subscription cancelled")
    if facts.sentiments and max(facts.sentiments)[1] is SentimentLabel.NEGATIVE:
        leaving.append("latest feedback is negative")
    nps = facts.loyalty.get("nps")
    if isinstance(nps, int) and not isinstance(nps, bool) and nps <= DETRACTOR_NPS:
        leaving.append(f"NPS {nps} (detractor)")
    if leaving:
        return Insight(status=CustomerStatus.LEAVING, reasons=tuple(leaving))
    if len(facts.purchases) <= 1:
        return _NEW
    times = sorted([at for at, _ in facts.purchases])
    if times[-1] - times[-2] >= COMEBACK_GAP:
        return _CAME_BACK
    if len(times) >= 3 and times[-1] - times[-3] <= BURST_WINDOW:
        return _BURST
    return _ACTIVE
