"""Lead scoring: fit and engagement from the lead's inputs, explained.

``fit = size·0.3 + industry·0.2 + role·0.2 + budget·0.3``;
``engagement = web·0.3 + downloads·0.2 + email·0.3 + events·0.2``;
``score = (fit·0.5 + engagement·0.5)·100``. Each input is mapped to [0, 1] by a
configurable function; engagement decays with a half-life (default 30 days *(design
choice)*) counted from ``last_engaged_at``. A missing input maps to 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead

FIT = ("size", "industry", "role", "budget")
ENGAGEMENT = ("web", "downloads", "email", "events")


@attrs.frozen
class Piecewise:
    """Linear interpolation between ``(x, y)`` points, flat outside; y in [0, 1]."""

    points: tuple[tuple[float, float], ...]

    def __attrs_post_init__(self) -> None:
        xs = [x for x, _ in self.points]
        if not self.points or xs != sorted(xs) or len(set(xs)) != len(xs):
            raise ValueError("points need strictly increasing x values")
        if any(not 0 <= y <= 1 for _, y in self.points):
            raise ValueError("point values must be in [0, 1]")

    def __call__(self, x: float) -> float:
        pts = self.points
        if x <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return pts[-1][1]


@attrs.frozen
class Lookup:
    """A value per (case-insensitive) key, and a default for anything else."""

    values: Mapping[str, float]
    default: float = 0.0

    def __call__(self, key: str | None) -> float:
        if key is None:
            return 0.0
        wanted = key.strip().casefold()
        return next((v for k, v in self.values.items() if k.casefold() == wanted), self.default)


@attrs.frozen
class Keywords:
    """The value of the first keyword the text contains (case-insensitive), else default."""

    values: tuple[tuple[str, float], ...]
    default: float = 0.0

    def __call__(self, text: str | None) -> float:
        if not text:
            return 0.0
        folded = text.casefold()
        return next((v for k, v in self.values if k.casefold() in folded), self.default)


def _check_weights(name: str, weights: Mapping[str, float], keys: tuple[str, ...]) -> None:
    if set(weights) != set(keys):
        raise ValueError(f"{name} must name exactly {', '.join(keys)}")
    if min(weights.values()) < 0 or abs(sum(weights.values()) - 1) > 1e-9:
        raise ValueError(f"{name} must be non-negative and sum to 1")


@attrs.frozen(kw_only=True)
class ScoringConfig:
    """Weights and component functions; the defaults are documented in docs/scoring.md."""

    fit_weights: Mapping[str, float] = attrs.field(
        factory=lambda: {"size": 0.3, "industry": 0.2, "role": 0.2, "budget": 0.3}
    )
    engagement_weights: Mapping[str, float] = attrs.field(
        factory=lambda: {"web": 0.3, "downloads": 0.2, "email": 0.3, "events": 0.2}
    )
    size: Piecewise = Piecewise(((0, 0.0), (10, 0.2), (50, 0.5), (200, 0.8), (1000, 1.0)))
    industry: Lookup = Lookup(
        {"education": 1.0, "technology": 0.9, "software": 0.9, "finance": 0.7}, 0.4
    )
    role: Keywords = Keywords(
        (
            ("chief", 1.0),
            ("ceo", 1.0),
            ("cto", 1.0),
            ("founder", 1.0),
            ("vp", 0.9),
            ("director", 0.9),
            ("head", 0.8),
            ("lead", 0.7),
            ("manager", 0.6),
        ),
        0.3,
    )
    budget: Piecewise = Piecewise(((0, 0.0), (1000, 0.3), (10000, 0.7), (50000, 1.0)))
    web: Piecewise = Piecewise(((0, 0.0), (5, 0.4), (20, 0.8), (50, 1.0)))
    downloads: Piecewise = Piecewise(((0, 0.0), (1, 0.5), (3, 0.8), (5, 1.0)))
    email: Piecewise = Piecewise(((0, 0.0), (3, 0.4), (10, 0.8), (20, 1.0)))
    email_click_weight: float = 3.0
    events: Piecewise = Piecewise(((0, 0.0), (1, 0.6), (3, 1.0)))
    half_life_days: float = 30.0
    hot_threshold: int = 80

    def __attrs_post_init__(self) -> None:
        _check_weights("fit weights", self.fit_weights, FIT)
        _check_weights("engagement weights", self.engagement_weights, ENGAGEMENT)
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if not 0 <= self.hot_threshold <= 100:
            raise ValueError("hot_threshold must be in 0..100")


@attrs.frozen(kw_only=True)
class Contribution:
    """One component: its raw input, value in [0, 1], weight and points added to the score."""

    group: str
    component: str
    input: str
    value: float
    weight: float
    points: float


@attrs.frozen(kw_only=True)
class ScoreExplanation:
    """The score and why: fit, (decayed) engagement and every component's contribution."""

    score: int
    fit: float
    engagement: float
    decay: float
    contributions: tuple[Contribution, ...]


def _decay(lead: Lead, config: ScoringConfig, now: datetime) -> float:
    last = lead.engagement.last_engaged_at
    if last is None or last >= now:
        return 1.0
    days = (now - last).total_seconds() / 86400
    return float(0.5 ** (days / config.half_life_days))


def score_lead(lead: Lead, config: ScoringConfig, now: datetime) -> ScoreExplanation:
    """Score a lead at ``now`` (0-100) and explain every component's contribution."""
    firm, eng = lead.firmographics, lead.engagement
    budget = float(firm.budget) if isinstance(firm.budget, Decimal) else None
    email_input = eng.email_opens + config.email_click_weight * eng.email_clicks
    fit_inputs: dict[str, tuple[str, float]] = {
        "size": (str(firm.company_size), config.size(firm.company_size or 0)),
        "industry": (str(firm.industry), config.industry(firm.industry)),
        "role": (str(lead.job_title), config.role(lead.job_title)),
        "budget": (str(firm.budget), config.budget(budget or 0)),
    }
    eng_inputs: dict[str, tuple[str, float]] = {
        "web": (f"{eng.page_views} page views", config.web(eng.page_views)),
        "downloads": (f"{eng.downloads} downloads", config.downloads(eng.downloads)),
        "email": (
            f"{eng.email_opens} opens, {eng.email_clicks} clicks",
            config.email(email_input),
        ),
        "events": (f"{eng.events_attended} events", config.events(eng.events_attended)),
    }
    decay = _decay(lead, config, now)
    parts: list[Contribution] = []
    for name, (raw, value) in fit_inputs.items():
        weight = config.fit_weights[name]
        parts.append(
            Contribution(
                group="fit",
                component=name,
                input=raw,
                value=value,
                weight=weight,
                points=value * weight * 50,
            )
        )
    for name, (raw, value) in eng_inputs.items():
        weight = config.engagement_weights[name]
        decayed = value * decay
        parts.append(
            Contribution(
                group="engagement",
                component=name,
                input=raw,
                value=decayed,
                weight=weight,
                points=decayed * weight * 50,
            )
        )
    fit = sum(c.value * c.weight for c in parts if c.group == "fit")
    engagement = sum(c.value * c.weight for c in parts if c.group == "engagement")
    raw_score = (fit * 0.5 + engagement * 0.5) * 100
    return ScoreExplanation(
        score=max(0, min(100, int(raw_score + 0.5))),
        fit=fit,
        engagement=engagement,
        decay=decay,
        contributions=tuple(parts),
    )


def crossed_upwards(previous: int, score: int, threshold: int) -> bool:
    """True when a score moves from at most ``threshold`` to above it (trigger: score > 80)."""
    return previous <= threshold < score


@event_type("crm.lead.score_threshold_crossed")
@attrs.frozen(kw_only=True)
class LeadScoreThresholdCrossed(DomainEvent):
    """A lead's score rose above the hot threshold (the campaigns' score-based trigger)."""

    lead_id: LeadId
    previous: int
    score: int
    threshold: int
