"""Customer health and churn risk: a 0-100 score from weighted factors, a risk level,
churn-risk triggers each with its reason, and the recommended action per level.

Every factor is a number in [0, 1] computed from :class:`HealthInputs`; the score is
``100 · Σ weight·factor`` (weights sum to 1). Red is below 50 (P3); yellow below the
configurable threshold (default 70 *(design choice)*); green otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType
from uuid import UUID

import attrs

from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import ContactId

HealthRecordId = NewType("HealthRecordId", UUID)

#: Health history retention: six months.
HEALTH_RETENTION = timedelta(days=183)


class RiskLevel(StrEnum):
    """Risk levels, worst first."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class ChurnReason(StrEnum):
    """Why a customer is at risk of churning."""

    INACTIVE = "inactive"
    LOW_NPS = "low_nps"
    NEGATIVE_FEEDBACK = "negative_feedback"
    UNRESOLVED_TICKETS = "unresolved_tickets"
    KEY_FEATURES_UNUSED = "key_features_unused"
    RENEWAL_WITHOUT_ENGAGEMENT = "renewal_without_engagement"


#: The recommended action per level.
ACTIONS: Mapping[RiskLevel, str] = {
    RiskLevel.RED: "urgent intervention: personal call, special offer",
    RiskLevel.YELLOW: "nudge: targeted campaign",
    RiskLevel.GREEN: "upsell or advocacy program",
}

FACTORS = ("usage", "adoption", "engagement", "support", "sentiment")


@attrs.frozen(kw_only=True)
class HealthConfig:
    """Weights, targets and trigger thresholds; every number is configuration."""

    weights: Mapping[str, float] = attrs.field(
        factory=lambda: {
            "usage": 0.25,
            "adoption": 0.2,
            "engagement": 0.2,
            "support": 0.15,
            "sentiment": 0.2,
        }
    )
    red_below: int = 50
    yellow_below: int = 70
    usage_target_days: int = 20
    engagement_target: int = 10
    ticket_penalty: float = 0.1
    unresolved_penalty: float = 0.25
    inactive_days: int = 14
    nps_below: int = 6
    unresolved_threshold: int = 3
    renewal_days: int = 30
    renewal_engagement_min: int = 1

    def __attrs_post_init__(self) -> None:
        if set(self.weights) != set(FACTORS):
            raise ValueError(f"health weights must name exactly {', '.join(FACTORS)}")
        if abs(sum(self.weights.values()) - 1.0) > 1e-9 or min(self.weights.values()) < 0:
            raise ValueError("health weights must be non-negative and sum to 1")
        if not 0 < self.red_below <= self.yellow_below <= 100:
            raise ValueError("thresholds must satisfy 0 < red_below <= yellow_below <= 100")


@attrs.frozen(kw_only=True)
class HealthInputs:
    """What is known about a customer's use, engagement, support and sentiment."""

    active_days_30: int = 0
    features_used: frozenset[str] = frozenset()
    key_features: frozenset[str] = frozenset()
    engagement_30: int = 0
    tickets: int = 0
    unresolved_tickets: int = 0
    nps: int | None = None
    negative_feedback: bool = False
    last_active_at: datetime | None = None
    renewal_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Trigger:
    """One churn-risk trigger and its human-readable reason."""

    reason: ChurnReason
    detail: str


@attrs.frozen(kw_only=True)
class HealthAssessment:
    """A score, its level, the factors that drove it, the triggers and the action."""

    score: int
    level: RiskLevel
    factors: Mapping[str, float]
    triggers: tuple[Trigger, ...]
    action: str
    renewal_in_days: int | None = None
    renewal_at: datetime | None = None


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def level_of(score: int, config: HealthConfig) -> RiskLevel:
    """Red below ``red_below``, yellow below ``yellow_below``, green otherwise."""
    if score < config.red_below:
        return RiskLevel.RED
    if score < config.yellow_below:
        return RiskLevel.YELLOW
    return RiskLevel.GREEN


def assess(inputs: HealthInputs, config: HealthConfig, *, now: datetime) -> HealthAssessment:
    """Score a customer's health and list every churn-risk trigger that holds at ``now``."""
    key_used = inputs.key_features & inputs.features_used
    adoption_base = inputs.key_features or inputs.features_used
    sentiment = 0.5 if inputs.nps is None else _clamp(inputs.nps / 10)
    if inputs.negative_feedback:
        sentiment *= 0.5
    factors = {
        "usage": _clamp(inputs.active_days_30 / config.usage_target_days),
        "adoption": (len(key_used) / len(inputs.key_features))
        if inputs.key_features
        else (1.0 if adoption_base else 0.0),
        "engagement": _clamp(inputs.engagement_30 / config.engagement_target),
        "support": _clamp(
            1
            - inputs.tickets * config.ticket_penalty
            - inputs.unresolved_tickets * config.unresolved_penalty
        ),
        "sentiment": sentiment,
    }
    raw = sum(config.weights[name] * value for name, value in factors.items())
    score = max(0, min(100, int(raw * 100 + 0.5)))
    level = level_of(score, config)
    triggers: list[Trigger] = []
    if inputs.last_active_at is None or now - inputs.last_active_at > timedelta(
        days=config.inactive_days
    ):
        since = (
            "never active"
            if inputs.last_active_at is None
            else (f"inactive for {(now - inputs.last_active_at).days} days")
        )
        triggers.append(Trigger(reason=ChurnReason.INACTIVE, detail=since))
    if inputs.nps is not None and inputs.nps < config.nps_below:
        triggers.append(Trigger(reason=ChurnReason.LOW_NPS, detail=f"NPS {inputs.nps}"))
    if inputs.negative_feedback:
        triggers.append(Trigger(reason=ChurnReason.NEGATIVE_FEEDBACK, detail="negative feedback"))
    if inputs.unresolved_tickets > config.unresolved_threshold:
        triggers.append(
            Trigger(
                reason=ChurnReason.UNRESOLVED_TICKETS,
                detail=f"{inputs.unresolved_tickets} unresolved tickets",
            )
        )
    unused = sorted(inputs.key_features - inputs.features_used)
    if unused:
        triggers.append(
            Trigger(
                reason=ChurnReason.KEY_FEATURES_UNUSED,
                detail="unused key features: " + ", ".join(unused),
            )
        )
    renewal_in: int | None = None
    if inputs.renewal_at is not None and inputs.renewal_at >= now:
        renewal_in = (inputs.renewal_at - now).days
        if (
            renewal_in <= config.renewal_days
            and inputs.engagement_30 < config.renewal_engagement_min
        ):
            triggers.append(
                Trigger(
                    reason=ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT,
                    detail=f"renewal in {renewal_in} days without engagement",
                )
            )
    return HealthAssessment(
        score=score,
        level=level,
        factors=factors,
        triggers=tuple(triggers),
        action=ACTIONS[level],
        renewal_in_days=renewal_in,
        renewal_at=inputs.renewal_at if renewal_in is not None else None,
    )


@attrs.frozen(kw_only=True)
class HealthRecord:
    """A stored health score with its factors and reasons (the source's HealthScore row)."""

    id: HealthRecordId
    customer: ContactId
    score: int
    level: RiskLevel
    factors: Mapping[str, float]
    reasons: tuple[str, ...]
    computed_at: datetime
    version: int = 0


@event_type("crm.health.changed")
@attrs.frozen(kw_only=True)
class HealthChanged(DomainEvent):
    """A customer's health score or level changed."""

    customer: ContactId
    previous_score: int | None
    score: int
    previous_level: str | None
    level: str
    action: str


@event_type("crm.churn_risk.detected")
@attrs.frozen(kw_only=True)
class ChurnRiskDetected(DomainEvent):
    """A churn-risk trigger started to hold for a customer."""

    customer: ContactId
    reason: str
    detail: str
    level: str


@event_type("crm.renewal.approaching")
@attrs.frozen(kw_only=True)
class RenewalApproaching(DomainEvent):
    """A customer's renewal is within the configured window."""

    customer: ContactId
    renewal_at: datetime
    days: int


@attrs.frozen(kw_only=True)
class AccountHealth:
    """An account's health rolled up from its contacts' latest scores (C6, b2b).

    ``score`` is the mean of the contacts' scores, rounded half up, and ``level`` its
    level *(design choice: the mean says how the account as a whole is doing)*; the worst
    contact's score and the number of red contacts are kept beside it, so one unhappy
    user in a healthy account is still visible.
    """

    account: UUID
    score: int
    level: RiskLevel
    worst: int
    contacts: int
    red: int


def roll_up(scores: Mapping[UUID, list[int]], config: HealthConfig) -> list[AccountHealth]:
    """Per-account health from each account's contacts' latest scores, worst first."""
    out = []
    for account, values in scores.items():
        if not values:
            continue
        mean = int(sum(values) / len(values) + 0.5)
        out.append(
            AccountHealth(
                account=account,
                score=mean,
                level=level_of(mean, config),
                worst=min(values),
                contacts=len(values),
                red=sum(1 for v in values if level_of(v, config) is RiskLevel.RED),
            )
        )
    return sorted(out, key=lambda a: (a.score, a.worst, str(a.account)))
