"""BG/NBD likelihood and fit: checked against a direct per-customer implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import approx_fprime

from crmcore.adapters.clv import bgnbd, histories
from crmcore.domain.clv import BgNbdParams, ClvFitError

from .synthetic_clv import CDNOW_PARAMS, population

FloatArray = NDArray[np.float64]


def direct_log_likelihood(p: BgNbdParams, x: FloatArray, tx: FloatArray, T: FloatArray) -> float:
    """Eq. 6 of the paper, one customer at a time, in plain Python."""
    total = 0.0
    for xi, txi, Ti in zip(x.tolist(), tx.tolist(), T.tolist(), strict=True):
        a1 = math.lgamma(p.r + xi) - math.lgamma(p.r) + p.r * math.log(p.alpha)
        a2 = (
            math.lgamma(p.a + p.b)
            + math.lgamma(p.b + xi)
            - math.lgamma(p.b)
            - math.lgamma(p.a + p.b + xi)
        )
        a3 = -(p.r + xi) * math.log(p.alpha + Ti)
        if xi > 0:
            a4 = math.log(p.a) - math.log(p.b + xi - 1) - (p.r + xi) * math.log(p.alpha + txi)
            top = max(a3, a4)
            total += a1 + a2 + top + math.log(math.exp(a3 - top) + math.exp(a4 - top))
        else:
            total += a1 + a2 + a3
    return total


def _log_likelihood_at(params: BgNbdParams, data: histories.Compressed) -> float:
    theta = np.log([params.r, params.alpha / data.scale, params.a, params.b])
    mean_nll, _ = bgnbd.negative_log_likelihood(theta, data)
    return -mean_nll * data.customers - data.repeat_purchases * math.log(data.scale)


positive = st.floats(min_value=0.05, max_value=10.0)


@given(r=positive, alpha=positive, a=positive, b=positive, grid=st.sampled_from([7, None]))
def test_compressed_likelihood_equals_the_direct_sum(
    r: float, alpha: float, a: float, b: float, grid: int | None
) -> None:
    x, tx, T = population(CDNOW_PARAMS, 300, seed=3)
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=0.0)
    data = histories.compress(x, tx, T, grid=grid)
    assert _log_likelihood_at(params, data) == pytest.approx(
        direct_log_likelihood(params, x, tx, T), rel=1e-9
    )


@given(st.lists(st.floats(min_value=-3, max_value=3), min_size=4, max_size=4))
def test_gradient_matches_finite_differences(theta: list[float]) -> None:
    x, tx, T = population(CDNOW_PARAMS, 500, seed=4)
    data = histories.compress(x, tx, T, grid=7)
    point = np.array(theta)
    _, grad = bgnbd.negative_log_likelihood(point, data)
    numeric = approx_fprime(point, lambda t: bgnbd.negative_log_likelihood(t, data)[0], 1e-7)
    assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_recovers_known_parameters() -> None:
    """200,000 customers drawn with the CDNOW estimates, exact times: within 5 %."""
    x, tx, T = population(CDNOW_PARAMS, 200_000, seed=5, on_day_grid=False)
    fit = bgnbd.fit(x, tx, T)
    got = [fit.r, fit.alpha, fit.a, fit.b]
    truth = [CDNOW_PARAMS.r, CDNOW_PARAMS.alpha, CDNOW_PARAMS.a, CDNOW_PARAMS.b]
    assert got == pytest.approx(truth, rel=0.05)


def test_grid_and_plain_compression_give_the_same_fit() -> None:
    x, tx, T = population(CDNOW_PARAMS, 20_000, seed=6)
    assert histories.compress(x, tx, T, grid=7).n.size < int((x > 0).sum())
    on_grid, plain = bgnbd.fit(x, tx, T, grid=7), bgnbd.fit(x, tx, T, grid=None)
    assert on_grid.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    assert [on_grid.r, on_grid.alpha, on_grid.a, on_grid.b] == pytest.approx(
        [plain.r, plain.alpha, plain.a, plain.b], rel=1e-5
    )


def test_warm_start_on_a_sample_reaches_the_same_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    x, tx, T = population(CDNOW_PARAMS, 20_000, seed=7, on_day_grid=False)
    cold = bgnbd.fit(x, tx, T)
    monkeypatch.setattr(bgnbd, "WARM_START_ROWS", 1_000)
    monkeypatch.setattr(bgnbd, "SAMPLE_ROWS", 2_000)
    warm = bgnbd.fit(x, tx, T)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, rel=1e-12)
    assert [warm.r, warm.alpha, warm.a, warm.b] == pytest.approx(
        [cold.r, cold.alpha, cold.a, cold.b], rel=1e-5
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    r=st.floats(min_value=0.1, max_value=3.0),
    alpha=st.floats(min_value=0.5, max_value=20.0),
    a=st.floats(min_value=0.2, max_value=5.0),
    b=st.floats(min_value=0.5, max_value=10.0),
    n=st.integers(min_value=1, max_value=3000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_fit_is_a_maximum_or_a_clear_error(
    r: float, alpha: float, a: float, b: float, n: int, seed: int
) -> None:
    """Estimates are positive and finite, and the likelihood there is at least the
    likelihood of the parameters that generated the data; otherwise ClvFitError says why."""
    truth = BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=0.0)
    x, tx, T = population(truth, n, seed=seed)
    try:
        fit = bgnbd.fit(x, tx, T, grid=7)
    except ClvFitError as error:
        reason = error.reason
    else:
        reason = "fitted"
    event(reason.split(":")[0])
    if reason != "fitted":
        assert reason.startswith(("no repeat purchases", "did not converge"))
        return
    got = np.array([fit.r, fit.alpha, fit.a, fit.b])
    assert np.isfinite(got).all()
    assert (got > 0).all()
    assert fit.log_likelihood == pytest.approx(direct_log_likelihood(fit, x, tx, T), rel=1e-7)
    assert fit.log_likelihood >= direct_log_likelihood(truth, x, tx, T) - 1e-6 * n


def test_one_drop_out_probability_for_everyone_is_a_limit_not_a_failure() -> None:
    """With no spread in p, a and b grow without bound at a steady ratio: that is the
    limit of a beta distribution at a point, and the fit reports it (with finite forecasts)."""
    truth = BgNbdParams(r=0.5, alpha=4.0, a=3000.0, b=7000.0, log_likelihood=0.0)
    x, tx, T = population(truth, 300_000, seed=1)
    fit = bgnbd.fit(x, tx, T, grid=7)
    assert fit.a > 1000
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.3, rel=0.03)
    assert [fit.r, fit.alpha] == pytest.approx([truth.r, truth.alpha], rel=0.05)
    forecast = bgnbd.conditional_expected_purchases(fit, 52.0, x[:1000], tx[:1000], T[:1000])
    assert np.isfinite(forecast).all()
