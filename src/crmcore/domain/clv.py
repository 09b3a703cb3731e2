"""Customer lifetime value: the summaries and results of the CLV models.

Pure Python. The predictive models (BG/NBD for purchases and "alive", Gamma-Gamma for spend)
live behind the ``ClvModel`` port; this module holds what goes in and comes out of them, the
recency/frequency summary of a purchase history, and the traditional formula.
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

Purchase = tuple[datetime | date, Decimal]
"""One purchase: when (a datetime counts by its own calendar day) and its value."""

DAYS_PER_YEAR = Decimal("365.25")


class TimeUnit(enum.Enum):
    """The unit in which recency, T and the model's rate parameter alpha are measured."""

    DAYS = "days"
    WEEKS = "weeks"

    @property
    def days(self) -> int:
        """Length of one unit in days."""
        return 1 if self is TimeUnit.DAYS else 7

    @property
    def per_month(self) -> float:
        """Units in one month of the CLV horizon (30 days, 4.345 weeks: lifetimes' constants)."""
        return 30.0 if self is TimeUnit.DAYS else 4.345


class ClvFitError(Exception):
    """A CLV model cannot be fitted to these data; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _finite_non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class CustomerSummary:
    """A customer's purchase history as the models see it.

    ``frequency``: repeat purchase days (purchase days after the first); ``recency``: time from
    the first to the last purchase; ``T``: time from the first purchase to the as-of date;
    ``monetary_value``: mean value of the repeat transactions (0 when there are none).
    """

    customer_id: str
    frequency: int = attrs.field(validator=attrs.validators.ge(0))
    recency: float = attrs.field(validator=_finite_non_negative)
    T: float = attrs.field(validator=_finite_non_negative)
    monetary_value: Decimal = Decimal(0)

    def __attrs_post_init__(self) -> None:
        if self.recency > self.T:
            raise ValueError(f"recency {self.recency} is after T {self.T}")
        if self.frequency == 0 and self.recency != 0:
            raise ValueError("a customer without repeat purchases has recency 0")


@attrs.frozen(kw_only=True)
class BgNbdParams:
    """BG/NBD estimates: purchase rate ~ gamma(r, alpha), drop-out probability ~ beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@attrs.frozen(kw_only=True)
class GammaGammaParams:
    """Gamma-Gamma spend estimates, fitted on ``customers`` repeat purchasers."""

    p: float
    q: float
    gamma: float
    customers: int

    @property
    def mean_spend(self) -> float:
        """Population mean of the customers' mean transaction values: p * gamma / (q - 1)."""
        return self.p * self.gamma / (self.q - 1)


@attrs.frozen(kw_only=True)
class ClvFit:
    """A stored fit: predictions for any customer are computed from it at once.

    ``gamma_gamma`` is None when no spend model could be fitted; ``gamma_gamma_error`` says why,
    and predictions then carry no monetary value.
    """

    as_of: date
    unit: TimeUnit
    customers: int
    bg_nbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None
    gamma_gamma_error: str | None = None


@attrs.frozen(kw_only=True)
class ClvPrediction:
    """One customer's forecast over the requested horizon.

    ``expected_avg_value`` and ``clv`` are None when the fit has no spend model.
    """

    customer_id: str
    frequency: int
    recency: float
    T: float
    expected_purchases: float
    p_alive: float
    expected_avg_value: Decimal | None
    clv: Decimal | None


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


@attrs.frozen(kw_only=True)
class PurchaseHistory:
    """One customer's purchase days up to an as-of date (same-day purchases are one): what
    a store computes per customer in one grouped query, giving the model's
    :class:`CustomerSummary` for any as-of date and unit.

    ``repeat_total`` is the summed value of the purchase days after the first.
    """

    customer_id: str
    first_day: date
    last_day: date
    previous_day: date | None
    purchase_days: int = attrs.field(validator=attrs.validators.ge(1))
    repeat_total: Decimal = Decimal(0)

    def summary(self, *, as_of: date, unit: TimeUnit) -> CustomerSummary:
        """The model's summary of these days as of ``as_of``."""
        repeats = self.purchase_days - 1
        return CustomerSummary(
            customer_id=self.customer_id,
            frequency=repeats,
            recency=(self.last_day - self.first_day).days / unit.days,
            T=(as_of - self.first_day).days / unit.days,
            monetary_value=self.repeat_total / repeats if repeats else Decimal(0),
        )


def history_of(
    purchases: Iterable[Purchase], *, customer_id: str, as_of: date
) -> PurchaseHistory | None:
    """A customer's history from raw purchases on or before ``as_of``; None without any."""
    by_day: dict[date, Decimal] = defaultdict(Decimal)
    for moment, value in purchases:
        day = _day(moment)
        if day <= as_of:
            by_day[day] += value
    if not by_day:
        return None
    days = sorted(by_day)
    return PurchaseHistory(
        customer_id=customer_id,
        first_day=days[0],
        last_day=days[-1],
        previous_day=days[-2] if len(days) > 1 else None,
        purchase_days=len(days),
        repeat_total=sum((by_day[d] for d in days[1:]), Decimal(0)),
    )


def summarise(
    purchases: Iterable[Purchase],
    *,
    customer_id: str,
    as_of: date,
    unit: TimeUnit = TimeUnit.WEEKS,
) -> CustomerSummary | None:
    """Summarise one customer's purchases as of a date; None if none was made by then.

    Purchases on the same day form one transaction (values summed); purchases after ``as_of``
    are ignored, those on it count. Matches lifetimes' ``summary_data_from_transaction_data``
    with ``freq="D"`` and ``freq_multiplier`` 1 (days) or 7 (weeks).
    """
    history = history_of(purchases, customer_id=customer_id, as_of=as_of)
    return None if history is None else history.summary(as_of=as_of, unit=unit)


def traditional_clv(
    average_order_value: Decimal, purchase_frequency: Decimal, expected_lifetime: Decimal
) -> Decimal:
    """The traditional formula: average order value x purchase frequency x expected lifetime.

    Frequency and lifetime must use the same period (orders per year and years, say).
    """
    return average_order_value * purchase_frequency * expected_lifetime
