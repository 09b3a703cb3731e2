"""The application side of CLV: stored predictions and statuses.

Pure Python. :func:`classify` applies the documented, configurable status rules
(``docs/clv.md``): **leaving**, **hot** and **new**, each with its action.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import attrs

from crmcore.domain.clv import ClvPrediction, PurchaseHistory
from crmcore.domain.events import DomainEvent, event_type


@attrs.frozen(kw_only=True)
class StoredPrediction:
    """A customer's prediction as stored, with the horizon and rate it was made for."""

    prediction: ClvPrediction
    horizon: float
    discount_rate: float
    computed_at: datetime


class ClvStatus(enum.StrEnum):
    """The source's customer statuses."""

    HOT = "hot"
    LEAVING = "leaving"
    NEW = "new"


#: What each status triggers.
ACTIONS: dict[ClvStatus, str] = {
    ClvStatus.HOT: "personalised offer email",
    ClvStatus.LEAVING: "call task for a manager with an individual offer",
    ClvStatus.NEW: "welcome path",
}


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


@attrs.frozen(kw_only=True)
class ClvRules:
    """The status rules' parameters (TOML ``[clv]``; defaults documented in docs/clv.md)."""

    new_days: int = attrs.field(default=30, validator=attrs.validators.ge(0))
    leaving_p_alive: float = attrs.field(default=0.3, validator=_fraction)
    inactive_days: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    comeback_gap_days: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    comeback_recent_days: int = attrs.field(default=30, validator=attrs.validators.ge(0))
    hot_top_share: float = attrs.field(default=0.1, validator=_fraction)
    horizon_months: float = attrs.field(default=12.0, validator=_positive)
    discount_rate: float = attrs.field(default=0.01, validator=_fraction)
    call_due_days: int = attrs.field(default=2, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True)
class StatusFacts:
    """What the rules look at for one customer on ``day``.

    ``p_alive`` and ``clv`` come from the stored fit (None without one);
    ``last_email_response`` and ``last_login`` from the contact's attributes (None: unknown).
    """

    history: PurchaseHistory
    p_alive: float | None = None
    clv: Decimal | None = None
    last_email_response: date | None = None
    last_login: date | None = None


@attrs.frozen(kw_only=True)
class StatusDecision:
    """A customer's status, the reasons that drove it and the action it triggers."""

    status: ClvStatus
    reasons: tuple[str, ...]

    @property
    def action(self) -> str:
        """The action of the status (see :data:`ACTIONS`)."""
        return ACTIONS[self.status]


def top_value_threshold(values: Sequence[Decimal], share: float) -> Decimal | None:
    """The smallest CLV inside the top ``share`` of positive values; None when there is none."""
    positive = sorted((v for v in values if v > 0), reverse=True)
    count = math.ceil(len(positive) * share)
    if not positive or count == 0:
        return None
    return positive[count - 1]


def classify(
    facts: StatusFacts, *, day: date, rules: ClvRules, top_value: Decimal | None = None
) -> StatusDecision | None:
    """leaving > hot > new; None when no rule applies.

    - leaving: P(alive) below ``leaving_p_alive``; or no email response, no app login and
      no purchase for ``inactive_days`` (only when an engagement date is known).
    - hot: came back after postponing (the last purchase within ``comeback_recent_days``
      after a gap of at least ``comeback_gap_days``), or CLV at or above ``top_value``.
    - new: first purchase within ``new_days``.
    """
    h = facts.history
    leaving: list[str] = []
    if facts.p_alive is not None and facts.p_alive < rules.leaving_p_alive:
        leaving.append(f"P(alive) {facts.p_alive:.2f} below {rules.leaving_p_alive}")
    engaged = [d for d in (facts.last_email_response, facts.last_login) if d is not None]
    if engaged:
        last_seen = max([*engaged, h.last_day])
        if (day - last_seen).days >= rules.inactive_days:
            leaving.append(
                f"no email response, app login or purchase for {(day - last_seen).days} days"
            )
    if leaving:
        return StatusDecision(status=ClvStatus.LEAVING, reasons=tuple(leaving))
    hot: list[str] = []
    if (
        h.previous_day is not None
        and (h.last_day - h.previous_day).days >= rules.comeback_gap_days
        and (day - h.last_day).days <= rules.comeback_recent_days
    ):
        hot.append(f"came back after {(h.last_day - h.previous_day).days} days")
    if top_value is not None and facts.clv is not None and facts.clv >= top_value:
        hot.append(f"top {rules.hot_top_share:.0%} predicted value")
    if hot:
        return StatusDecision(status=ClvStatus.HOT, reasons=tuple(hot))
    if (day - h.first_day).days <= rules.new_days:
        return StatusDecision(
            status=ClvStatus.NEW, reasons=(f"first purchase {(day - h.first_day).days} days ago",)
        )
    return None


@event_type("crm.clv.fitted")
@attrs.frozen(kw_only=True)
class ClvFitted(DomainEvent):
    """A CLV fit was stored."""

    as_of: date
    unit: str
    customers: int
    r: float
    alpha: float
    a: float
    b: float


@event_type("crm.clv.prediction_updated")
@attrs.frozen(kw_only=True)
class ClvPredictionUpdated(DomainEvent):
    """A customer's prediction was recomputed with the stored fit (a purchase landed)."""

    customer: UUID
    expected_purchases: float
    p_alive: float
    clv: str | None


@event_type("crm.clv.status_detected")
@attrs.frozen(kw_only=True)
class ClvStatusDetected(DomainEvent):
    """A customer got a status on ``day``; its action was created."""

    customer: UUID
    status: str
    action: str
    reasons: str  # joined with "; "
    day: date
    activity_id: UUID
