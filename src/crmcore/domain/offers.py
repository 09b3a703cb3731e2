"""Retention offers (C6, P3) and upsell (C15, P4): which offer answers which churn-risk
reason, who counts as high-value, and which upsell segment a customer is in.

The offers themselves (templates, channels) are shipped as data beside the marketing use
cases; this module holds the rules that read them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from enum import StrEnum
from typing import TypeVar

import attrs

from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.health import ChurnReason
from crmcore.domain.ids import ContactId

K = TypeVar("K", bound=Hashable)


class Offer(StrEnum):
    """The interventions of a retention campaign and the tactics beside them."""

    PERSONAL_COACHING = "personal_coaching"
    DISCOUNT = "discount"
    EXTENDED_TRIAL = "extended_trial"
    FEATURE_HIGHLIGHT = "feature_highlight"
    WIN_BACK = "win_back"


#: The share of customers, by CLV, that is high-value (top 20 %).
HIGH_VALUE_SHARE = 0.2


def high_value(values: Mapping[K, float], share: float = HIGH_VALUE_SHARE) -> set[K]:
    """The top ``share`` of customers by value (at least one when there is any value,
    ``ceil(n * share)`` in all; ties at the boundary are all in)."""
    if not values or share <= 0:
        return set()
    ranked = sorted(values.values(), reverse=True)
    cut = ranked[min(len(ranked), math.ceil(len(ranked) * share)) - 1]
    return {k for k, v in values.items() if v >= cut}


def check_offers(offers: Mapping[str, str]) -> list[str]:
    """What is wrong with a reason → offer table: unknown reasons or offers, and reasons
    left without an offer (every reason the health rules raise needs one)."""
    problems = [f"unknown reason {r!r}" for r in offers if r not in set(ChurnReason)]
    problems += [f"unknown offer {o!r}" for o in offers.values() if o not in set(Offer)]
    problems += [f"no offer for {r.value!r}" for r in ChurnReason if r.value not in offers]
    return problems


def churn_trigger(reason: str) -> str:
    """The sequence trigger that a churn risk with ``reason`` enrols into."""
    return f"churn:{reason}"


#: The trigger of the personal call for a high-value customer at red risk.
HIGH_VALUE_CALL = "churn:high_value"


@event_type("crm.usage.limit_reached")
@attrs.frozen(kw_only=True)
class UsageLimitReached(DomainEvent):
    """A customer used up a limit of its plan (``limit``: what ran out, e.g. ``storage``)."""

    customer: ContactId
    limit: str
    used: int
    allowed: int


#: The trigger of the in-app upsell prompt shown when a usage limit is reached.
USAGE_LIMIT = "usage_limit"
