"""Predictions: P(alive), conditional expected purchases, spend and CLV."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.integrate import quad
from scipy.special import betaln

from crmcore.adapters.clv import Columns, NumpyClvModel, bgnbd, gamma_gamma
from crmcore.domain.clv import (
    BgNbdParams,
    ClvFit,
    CustomerSummary,
    GammaGammaParams,
    TimeUnit,
)

from .strategies_clv import bg_nbd_params, horizons, summaries

FloatArray = NDArray[np.float64]
MODEL = NumpyClvModel()
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, customers=946)


def _params(a: float, b: float) -> BgNbdParams:
    return BgNbdParams(r=1.0, alpha=1.0, a=a, b=b, log_likelihood=0.0)


NEW = CustomerSummary(customer_id="new", frequency=0, recency=0.0, T=0.0)


def _fit(params: BgNbdParams, unit: TimeUnit = TimeUnit.WEEKS) -> ClvFit:
    return ClvFit(as_of=date(2026, 1, 31), unit=unit, customers=1, bg_nbd=params, gamma_gamma=SPEND)


def _arrays(s: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
    return np.array([float(s.frequency)]), np.array([s.recency]), np.array([s.T])


def posterior_expectation(p: BgNbdParams, t: float, x: int, tx: float, T: float) -> float:
    """E[Y(t) | x, t_x, T] by numerical integration, not by the paper's closed form.

    Alive customers have lambda ~ gamma(r + x, alpha + T) and p ~ beta(a, b + x); one that is
    alive buys (1 - exp(-lambda p t)) / p times in expectation. Integrating lambda out:
    E = P(alive) * int_0^1 [1 - ((alpha + T) / (alpha + T + p t))^(r + x)] / p  beta(p) dp.
    """
    odds = p.a / (p.b + x - 1) * ((p.alpha + T) / (p.alpha + tx)) ** (p.r + x) if x else 0.0
    scale = p.alpha + T

    def per_dropout(q: float) -> float:
        if q == 0:
            return (p.r + x) * t / scale
        return -math.expm1(-(p.r + x) * math.log1p(q * t / scale)) / q

    integral, _ = quad(
        per_dropout,
        0,
        1,
        weight="alg",
        wvar=(p.a - 1, p.b + x - 1),
        epsabs=0,
        epsrel=1e-12,
        limit=500,
    )
    return float(integral / math.exp(betaln(p.a, p.b + x)) / (1 + odds))


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@settings(max_examples=60, deadline=None)
@given(bg_nbd_params(), summaries(), st.floats(min_value=0.1, max_value=200.0))
@example(_params(1.0, 1.0), NEW, 21.0)  # a = 1: (a + b + x - 1) / (a - 1) is 0/0
@example(_params(0.5, 0.5), NEW, 1.0)  # a + b = 1, x = 0: 2F1 has a pole at c = 0
@example(_params(0.01, 0.01), NEW, 52.0)  # c < 0: 2F1 is negative
@example(_params(1.0, 1e-5), NEW, 3.0)  # a = 1 and a + b = 1 nearly at once
def test_closed_form_matches_numerical_integration(
    params: BgNbdParams, s: CustomerSummary, t: float
) -> None:
    if s.frequency > 60:  # keep the quadrature well-conditioned
        return
    got = bgnbd.conditional_expected_purchases(params, t, *_arrays(s))[0]
    want = posterior_expectation(params, t, s.frequency, s.recency, s.T)
    assert got == pytest.approx(want, rel=1e-6, abs=1e-12)


FREQUENT = CustomerSummary(
    customer_id="frequent",
    frequency=90,
    recency=12.857142857142858,
    T=12.857142857142858,
    monetary_value=Decimal("0.01"),
)
"""90 repeat days in 13 weeks: SciPy's 2F1(17, 1; 108; z) is inf for z above about 0.9."""


@pytest.mark.parametrize("b", [17.0, 19.0])
@pytest.mark.parametrize("t", [100.0, 126.0, 130.35, 500.0])
def test_where_scipy_gives_up_the_closed_form_still_matches_the_integral(
    b: float, t: float
) -> None:
    s = FREQUENT
    got = bgnbd.conditional_expected_purchases(_params(2.0, b), t, *_arrays(s))[0]
    want = posterior_expectation(_params(2.0, b), t, s.frequency, s.recency, s.T)
    assert got == pytest.approx(want, rel=1e-9)


@given(bg_nbd_params(), summaries())
def test_p_alive_is_a_probability_and_one_without_repeats(
    params: BgNbdParams, s: CustomerSummary
) -> None:
    alive = bgnbd.p_alive(params, *_arrays(s))[0]
    assert 0.0 <= alive <= 1.0
    if s.frequency == 0:
        assert alive == 1.0


@given(bg_nbd_params(), summaries(), horizons, horizons)
def test_expected_purchases_grow_with_the_horizon(
    params: BgNbdParams, s: CustomerSummary, h1: float, h2: float
) -> None:
    short, long = sorted((h1, h2))
    first = bgnbd.conditional_expected_purchases(params, short, *_arrays(s))[0]
    second = bgnbd.conditional_expected_purchases(params, long, *_arrays(s))[0]
    assert math.isfinite(first)
    assert 0.0 <= first <= second * (1 + 1e-9) + 1e-12


@given(bg_nbd_params(), st.lists(summaries(), min_size=1, max_size=5), horizons, horizons)
@example(_params(2.0, 17.0), [FREQUENT], 1.0, 29.0)  # SciPy's 2F1 overflowed after month 28
@example(_params(2.0, 19.0), [FREQUENT], 0.0, 30.0)
def test_clv_grows_with_the_horizon_and_shrinks_with_the_discount(
    params: BgNbdParams, customers: list[CustomerSummary], h1: float, h2: float
) -> None:
    short, long = sorted((h1, h2))
    fit = _fit(params)
    near = MODEL.predict(fit, customers, horizon=short, discount_rate=0.01)
    far = MODEL.predict(fit, customers, horizon=long, discount_rate=0.01)
    dearer = MODEL.predict(fit, customers, horizon=long, discount_rate=0.05)
    for a, b, c in zip(near, far, dearer, strict=True):
        assert a.clv is not None
        assert b.clv is not None
        assert c.clv is not None
        assert 0 <= a.clv <= b.clv * Decimal("1.000000001") + Decimal("1e-12")
        assert c.clv <= b.clv * Decimal("1.000000001") + Decimal("1e-12")


@given(bg_nbd_params(), st.lists(summaries(), min_size=1, max_size=5), st.integers(0, 60))
def test_undiscounted_clv_is_purchases_times_value(
    params: BgNbdParams, customers: list[CustomerSummary], months: int
) -> None:
    """With no discount the monthly increments add up to the whole horizon's purchases."""
    for pred in MODEL.predict(_fit(params), customers, horizon=months, discount_rate=0.0):
        assert pred.clv is not None
        assert pred.expected_avg_value is not None
        assert float(pred.clv) == pytest.approx(
            pred.expected_purchases * float(pred.expected_avg_value), rel=1e-9, abs=1e-12
        )


def test_clv_sums_discounted_monthly_increments() -> None:
    """Two months at 10 % a month: v * (E1 / 1.1 + (E2 - E1) / 1.21), E in 4.345-week steps;
    a fractional horizon ends with a part month, discounted like the whole third month."""
    params = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    s = CustomerSummary(
        customer_id="c", frequency=3, recency=20.0, T=30.0, monetary_value=Decimal(40)
    )
    x, tx, T = _arrays(s)
    e = [bgnbd.conditional_expected_purchases(params, m * 4.345, x, tx, T)[0] for m in (1, 2, 2.5)]
    value = gamma_gamma.conditional_expected_value(SPEND, x, np.array([40.0]))[0]
    two, half_more = (
        MODEL.predict(_fit(params), [s], horizon=h, discount_rate=0.1)[0] for h in (2, 2.5)
    )
    assert two.clv is not None
    assert half_more.clv is not None
    two_months = e[0] / 1.1 + (e[1] - e[0]) / 1.1**2
    assert float(two.clv) == pytest.approx(value * two_months, rel=1e-12)
    assert float(half_more.clv) == pytest.approx(
        value * (two_months + (e[2] - e[1]) / 1.1**3), rel=1e-12
    )


def test_days_and_weeks_give_the_same_forecast() -> None:
    weekly = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    daily = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426, log_likelihood=0.0)
    week = CustomerSummary(customer_id="c", frequency=2, recency=3.0, T=5.0)
    day = CustomerSummary(customer_id="c", frequency=2, recency=21.0, T=35.0)
    in_weeks = MODEL.predict(_fit(weekly), [week], horizon=3, discount_rate=0.0)[0]
    in_days = MODEL.predict(_fit(daily, TimeUnit.DAYS), [day], horizon=3, discount_rate=0.0)[0]
    # a month is 4.345 weeks but 30 days (lifetimes' constants), so compare on the same span
    span = bgnbd.conditional_expected_purchases(daily, 3 * 4.345 * 7, *_arrays(day))[0]
    assert in_weeks.expected_purchases == pytest.approx(span, rel=1e-12)
    assert in_weeks.p_alive == pytest.approx(in_days.p_alive, rel=1e-12)


def test_gamma_gamma_expected_value_shrinks_towards_the_population_mean() -> None:
    x = np.array([0.0, 1.0, 10.0, 1000.0])
    own = np.array([0.0, 100.0, 100.0, 100.0])
    value = gamma_gamma.conditional_expected_value(SPEND, x, own)
    mean = SPEND.p * SPEND.gamma / (SPEND.q - 1)
    assert value[0] == pytest.approx(mean)
    assert mean < value[1] < value[2] < value[3] < 100.0
    assert value[3] == pytest.approx(100.0, rel=0.01)


@settings(max_examples=30, deadline=None)
@given(st.lists(summaries(), max_size=30))
def test_columnar_predictions_equal_row_by_row(customers: list[CustomerSummary]) -> None:
    """Identical histories are forecast once and fanned out; that must not change anything."""
    fit = _fit(BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0))
    doubled = customers + customers
    together = MODEL.predict_columns(fit, Columns.of(doubled), horizon=6, discount_rate=0.01)
    for i, s in enumerate(doubled):
        alone = MODEL.predict(fit, [s], horizon=6, discount_rate=0.01)[0]
        assert together.expected_purchases[i] == pytest.approx(alone.expected_purchases, rel=1e-12)
        assert together.p_alive[i] == alone.p_alive
        assert together.clv is not None
        assert alone.clv is not None
        assert together.clv[i] == pytest.approx(float(alone.clv), rel=1e-12)


def test_predict_keeps_order_and_ids() -> None:
    fit = _fit(BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0))
    customers = [
        CustomerSummary(customer_id=f"c{i}", frequency=i, recency=float(i), T=10.0)
        for i in range(5)
    ]
    preds = MODEL.predict(fit, customers, horizon=1, discount_rate=0.0)
    assert [p.customer_id for p in preds] == [c.customer_id for c in customers]
    assert [p.frequency for p in preds] == list(range(5))
    assert MODEL.predict(fit, [], horizon=1, discount_rate=0.0) == []


@pytest.mark.parametrize(("horizon", "rate"), [(-1.0, 0.0), (math.inf, 0.0), (1.0, -1.0)])
def test_nonsense_horizon_or_rate_is_refused(horizon: float, rate: float) -> None:
    fit = _fit(BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0))
    s = CustomerSummary(customer_id="c", frequency=1, recency=1.0, T=2.0)
    with pytest.raises(ValueError, match="must be"):
        MODEL.predict(fit, [s], horizon=horizon, discount_rate=rate)
