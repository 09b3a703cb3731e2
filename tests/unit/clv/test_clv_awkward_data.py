"""Awkward data: every failure is a ClvFitError with a reason, never a crash or a NaN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from crmcore.adapters.clv import Columns, NumpyClvModel, bgnbd, gamma_gamma
from crmcore.domain.clv import (
    BgNbdParams,
    ClvFit,
    ClvFitError,
    CustomerSummary,
    GammaGammaParams,
    TimeUnit,
)
from crmcore.ports.clv import ClvModel
from tests.unit.clv.simulate import gamma_gamma_spend

from .synthetic_clv import CDNOW_PARAMS, population

MODEL: ClvModel = NumpyClvModel()
AS_OF = date(2026, 1, 31)
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, customers=0)


def _fit(summaries: list[CustomerSummary] | Columns) -> ClvFit:
    return MODEL.fit(summaries, as_of=AS_OF, unit=TimeUnit.WEEKS)


def _customers(n: int = 3000, *, scale: float = 1.0) -> list[CustomerSummary]:
    x, tx, T = population(CDNOW_PARAMS, n, seed=11)
    spend = gamma_gamma_spend(SPEND, x, seed=12) * scale
    return [
        CustomerSummary(
            customer_id=str(i),
            frequency=int(x[i]),
            recency=float(tx[i]),
            T=float(T[i]),
            monetary_value=Decimal(repr(float(spend[i]))),
        )
        for i in range(n)
    ]


def _summary(frequency: int, recency: float, T: float, value: str = "0") -> CustomerSummary:
    return CustomerSummary(
        customer_id="c",
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=Decimal(value),
    )


def test_no_customers() -> None:
    with pytest.raises(ClvFitError, match=r"^no customers$"):
        _fit([])


def test_one_customer_without_repeats() -> None:
    with pytest.raises(ClvFitError, match=r"^no repeat purchases"):
        _fit([_summary(0, 0.0, 5.0)])


def test_one_customer_with_repeats_cannot_pin_the_population_down() -> None:
    with pytest.raises(ClvFitError, match=r"^did not converge: BG/NBD: r"):
        _fit([_summary(3, 4.0, 5.0, "10")])


def test_nobody_came_back() -> None:
    """BG/NBD has no maximum (r -> 0) when no one made a repeat purchase."""
    with pytest.raises(ClvFitError, match=r"^no repeat purchases: BG/NBD needs customers"):
        _fit([_summary(0, 0.0, float(t)) for t in range(1, 50)])


def test_everyone_bought_today() -> None:
    with pytest.raises(ClvFitError, match=r"no repeat purchases|no observation time"):
        _fit([_summary(0, 0.0, 0.0)] * 10)


def test_everyone_bought_again_on_the_last_day_does_not_converge() -> None:
    with pytest.raises(ClvFitError, match=r"^did not converge: BG/NBD"):
        _fit([_summary(1, 5.0, 5.0, "10")] * 100)


def test_no_spend_model_without_positive_repeat_spend() -> None:
    customers = [
        CustomerSummary(customer_id=c.customer_id, frequency=c.frequency, recency=c.recency, T=c.T)
        for c in _customers()
    ]
    fit = _fit(customers)
    assert fit.gamma_gamma is None
    assert fit.gamma_gamma_error is not None
    assert fit.gamma_gamma_error.startswith("no repeat purchasers: Gamma-Gamma needs")
    pred = MODEL.predict(fit, customers[:3], horizon=12, discount_rate=0.01)
    assert all(p.clv is None and p.expected_avg_value is None for p in pred)
    assert all(0 <= p.p_alive <= 1 for p in pred)


def test_columns_without_monetary_values_fit_no_spend_model() -> None:
    x, tx, T = population(CDNOW_PARAMS, 3000, seed=13)
    fit = _fit(Columns(frequency=x, recency=tx, T=T))
    assert fit.gamma_gamma is None
    assert fit.gamma_gamma_error == "no monetary values given"


@pytest.mark.parametrize("scale", [1e-9, 1e12, 1e250])
def test_huge_and_tiny_amounts_scale_the_spend_model_only(scale: float) -> None:
    plain, scaled = _fit(_customers()), _fit(_customers(scale=scale))
    assert plain.gamma_gamma is not None
    assert scaled.gamma_gamma is not None
    assert scaled.bg_nbd == plain.bg_nbd
    assert scaled.gamma_gamma.p == pytest.approx(plain.gamma_gamma.p, rel=1e-6)
    assert scaled.gamma_gamma.q == pytest.approx(plain.gamma_gamma.q, rel=1e-6)
    assert scaled.gamma_gamma.gamma == pytest.approx(plain.gamma_gamma.gamma * scale, rel=1e-6)
    customers = _customers(10, scale=scale)
    small = MODEL.predict(plain, _customers(10), horizon=12, discount_rate=0.01)
    big = MODEL.predict(scaled, customers, horizon=12, discount_rate=0.01)
    for a, b in zip(small, big, strict=True):
        assert a.clv is not None
        assert b.clv is not None
        assert float(b.clv) == pytest.approx(float(a.clv) * scale, rel=1e-6)


def test_amounts_beyond_float_range_are_refused_with_a_reason() -> None:
    customers = _customers()
    customers[5] = CustomerSummary(
        customer_id="rich", frequency=2, recency=1.0, T=3.0, monetary_value=Decimal("1e400")
    )
    fit = _fit(customers)
    assert fit.gamma_gamma is None
    assert fit.gamma_gamma_error == "invalid data: monetary values must be finite"
    with pytest.raises(ClvFitError, match=r"monetary values must be finite"):
        MODEL.predict(_fit(_customers()), customers[:6], horizon=1, discount_rate=0.0)


def test_identical_spend_everywhere_has_no_spend_model() -> None:
    """With no spread in spend p and q run away together: no maximum to report."""
    x = np.array([1.0, 2.0, 3.0, 5.0] * 50)
    with pytest.raises(ClvFitError, match=r"^did not converge: Gamma-Gamma: p, q ran off"):
        gamma_gamma.fit(x, np.full(x.size, 25.0))


def test_single_repeat_purchaser_spend_model_fails_clearly() -> None:
    with pytest.raises(ClvFitError, match=r"^did not converge: Gamma-Gamma"):
        gamma_gamma.fit(np.array([3.0, 0.0]), np.array([12.5, 0.0]))


def test_heavy_tailed_spend_is_refused() -> None:
    """Spend whose spread makes q <= 1 has no finite mean: no CLV from it."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 4, 5000).astype(np.float64)
    spend = rng.pareto(0.8, 5000) + 1.0
    with pytest.raises(ClvFitError, match=r"mean spend is infinite|did not converge"):
        gamma_gamma.fit(x, spend)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "reason"),
    [
        ([1.0, 2.0], [3.0, 9.0], [5.0, 5.0], "recency must lie in"),
        ([1.0, 2.0], [3.0, float("nan")], [5.0, 5.0], "must be finite"),
        ([1.5, 2.0], [3.0, 3.0], [5.0, 5.0], "whole number"),
        ([-1.0, 2.0], [0.0, 3.0], [5.0, 5.0], "whole number"),
        ([1.0, 2.0, 3.0], [3.0, 3.0], [5.0, 5.0], "equally long"),
    ],
)
def test_malformed_columns(
    frequency: list[float], recency: list[float], T: list[float], reason: str
) -> None:
    with pytest.raises(ClvFitError, match=reason):
        _fit(Columns(frequency=frequency, recency=recency, T=T))


def test_extreme_histories_get_finite_predictions() -> None:
    """Very frequent buyers, long horizons and parameters at the edges of the usual range."""
    x = np.array([0.0, 1.0, 50.0, 500.0, 5000.0])
    tx = np.array([0.0, 0.01, 100.0, 519.0, 520.0])
    T = np.full(5, 520.0)
    for a, b in [(0.793, 2.426), (1.0, 1.0), (0.5, 0.5), (0.01, 0.01), (50.0, 0.05), (1e-6, 1e6)]:
        params = BgNbdParams(r=0.243, alpha=4.414, a=a, b=b, log_likelihood=0.0)
        for t in (0.001, 52.0, 5200.0):
            got = bgnbd.conditional_expected_purchases(params, t, x, tx, T)
            assert np.isfinite(got).all()
            assert (got >= 0).all()
        alive = bgnbd.p_alive(params, x, tx, T)
        assert ((alive >= 0) & (alive <= 1)).all()
