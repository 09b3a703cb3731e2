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
#: A customer not leaving with at most one purchase.
NEW_CUSTOMER = Insight(status=CustomerStatus.NEW, reasons=("at most one purchase",))
_ACTIVE = Insight(status=CustomerStatus.ACTIVE)


def assess(facts: CustomerFacts) -> Insight:
    """leaving > hot > new > active, each with its reasons."""
    latest = max(facts.sentiments)[1] if facts.sentiments else None
    leaving = leaving_insight(facts.cancelled, latest, facts.loyalty.get("nps"))
    if leaving is not None:
        return leaving
    if len(facts.purchases) <= 1:
        return NEW_CUSTOMER
    times = sorted([at for at, _ in facts.purchases])
    return purchases_insight(times[-1], times[-2], times[-3] if len(times) >= 3 else None)


def leaving_insight(
    cancelled: bool, latest_feedback: SentimentLabel | None, nps: Scalar
) -> Insight | None:
    """The ``leaving`` status and its reasons, or ``None`` for a customer not leaving
    (``latest_feedback``: the label of the latest sentiment, ``nps``: the loyalty answer)."""
    cancelled = bool(cancelled)
    negative = latest_feedback is SentimentLabel.NEGATIVE
    detractor = (
        nps if isinstance(nps, int) and not isinstance(nps, bool) and nps <= DETRACTOR_NPS else None
    )
    if not (cancelled or negative or detractor is not None):
        return None
    leaving: list[str] = []
    if cancelled:
        leaving.append("subscription cancelled")
    if negative:
        leaving.append("latest feedback is negative")
    if detractor is not None:
        leaving.append(f"NPS {detractor} (detractor)")
    return Insight(status=CustomerStatus.LEAVING, reasons=tuple(leaving))


def purchases_insight(last: datetime, before: datetime, third: datetime | None) -> Insight:
    """The status of a customer not leaving with two purchases or more, from the times of
    the latest three (``third`` is ``None`` with two)."""
    if last - before >= COMEBACK_GAP:
        return _CAME_BACK
    if third is not None and last - third <= BURST_WINDOW:
        return _BURST
    return _ACTIVE
