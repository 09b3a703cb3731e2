"""BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way".

Maximum likelihood on log-parameters with an analytic gradient (BFGS, see ``_mle``) over the
compressed histories (see ``histories``); the special functions that depend only on x are
computed once per distinct x, and ln(alpha + t) once per distinct t where there are few.

Per customer (Eq. 6, in the spreadsheet form of Sec. 7)::

    LL = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))
    A1 = lnG(r + x) - lnG(r) + r ln(alpha)
    A2 = lnG(a + b) + lnG(b + x) - lnG(b) - lnG(a + b + x)
    A3 = -(r + x) ln(alpha + T)
    A4 = ln(a) - ln(b + x - 1) - (r + x) ln(alpha + t_x)
"""

from __future__ import annotations

import attrs
import mpmath
import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln, hyp2f1

from crmcore.adapters.clv._mle import dot, minimise
from crmcore.adapters.clv.histories import Compressed, Table, compress, validate
from crmcore.domain.clv import BgNbdParams, ClvFitError

FloatArray = NDArray[np.float64]

_NAMES = ("r", "alpha", "a", "b")
WARM_START_ROWS = 60_000
"""Above this many compressed rows, fit a thinned sample of about SAMPLE_ROWS rows first."""
SAMPLE_ROWS = 20_000


def _log_and_inverse(
    alpha: float, t: FloatArray, table: Table | None
) -> tuple[FloatArray, FloatArray]:
    """ln(alpha + t) and 1 / (alpha + t), from the distinct values when there are few."""
    if table is None:
        shifted = alpha + t
        return np.log(shifted), 1.0 / shifted
    distinct, at = table
    shifted = alpha + distinct
    return np.log(shifted)[at], (1.0 / shifted)[at]


def negative_log_likelihood(theta: FloatArray, d: Compressed) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood and its gradient in log-parameter space."""
    r, alpha, a, b = np.exp(theta)
    log_alpha = np.log(alpha)
    # x = 0 customers: LL = r ln(alpha) - r ln(alpha + T)
    l0 = dot(d.n0, np.log(alpha + d.t0))
    w0 = float(d.n0.sum())
    ll = r * (w0 * log_alpha - l0)
    g_r = w0 * log_alpha - l0
    g_alpha = r * (w0 / alpha - dot(d.n0, 1.0 / (alpha + d.t0)))
    g_a = g_b = 0.0
    if d.xs.size:
        xs, nx = d.xs, d.nx
        rx = r + xs
        ll += dot(nx,
            gammaln(rx) - gammaln(r) + r * log_alpha
            + gammaln(a + b) + gammaln(b + xs) - gammaln(b) - gammaln(a + b + xs)
        )  # fmt: skip
        g_r += dot(nx, digamma(rx) - digamma(r) + log_alpha)
        g_alpha += float(nx.sum()) * r / alpha
        dab = digamma(a + b) - digamma(a + b + xs)
        g_a += dot(nx, dab)
        g_b += dot(nx, dab + digamma(b + xs) - digamma(b))
        # per row: A3 = -(r+x) lT and z = A4 - A3; log(e^A3 + e^A4) = A3 + softplus(z)
        log_T, inv_T = _log_and_inverse(alpha, d.T, d.T_table)
        gap, inv_tx = _log_and_inverse(alpha, d.tx, d.tx_table)
        gap -= log_T  # ln(alpha + t_x) - ln(alpha + T) <= 0
        r_row = d.x + r
        z = (np.log(a) - np.log(b + xs - 1.0))[d.row]
        z -= r_row * gap
        e = np.exp(-np.abs(z))
        p4 = np.where(z >= 0, 1.0, e)
        p4 /= 1.0 + e  # P(dropped out at t_x | history) = expit(z)
        softplus = np.maximum(z, 0.0)
        softplus += np.log1p(e)
        n_r = d.n * r_row
        ll += dot(d.n, softplus) - dot(n_r, log_T)
        g_r -= dot(d.n, log_T + p4 * gap)
        g_alpha -= dot(n_r, inv_T + p4 * (inv_tx - inv_T))
        n_p4 = d.n * p4
        g_a += n_p4.sum() / a
        p4_by_x = np.bincount(d.row, weights=n_p4, minlength=xs.size).astype(np.float64)
        g_b -= dot(p4_by_x, 1.0 / (b + xs - 1.0))
    total = d.customers
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b]) / -total
    return float(-ll / total), grad


def _warm_start(d: Compressed) -> tuple[FloatArray, FloatArray | None]:
    """Optimum and curvature on a thinned sample: the mean log-likelihood of the full data
    has nearly the same, so the full fit then needs only a few steps."""
    sample = d.thinned(SAMPLE_ROWS / (d.n.size + d.n0.size))
    if not sample.xs.size:
        return np.zeros(4), None
    try:
        found = minimise(
            negative_log_likelihood, np.zeros(4), sample, names=_NAMES, model="BG/NBD",
            check_bounds=False,
        )  # fmt: skip
    except ClvFitError:
        return np.zeros(4), None
    curvature = (found.hess_inv + found.hess_inv.T) / 2
    try:
        np.linalg.cholesky(curvature)
    except np.linalg.LinAlgError:  # rounding can leave it short of positive definite
        return found.theta, None
    return found.theta, curvature


def fit(x: FloatArray, tx: FloatArray, T: FloatArray, *, grid: int | None = None) -> BgNbdParams:
    """Maximum-likelihood BG/NBD estimates; raises ClvFitError when there are none."""
    validate(x, tx, T)
    if not (x > 0).any():
        raise ClvFitError(
            "no repeat purchases: BG/NBD needs customers with frequency > 0 "
            "(with none, the likelihood has no maximum)"
        )
    d = compress(x, tx, T, grid=grid)
    start, curvature = np.zeros(4), None
    if d.n.size + d.n0.size > WARM_START_ROWS:
        start, curvature = _warm_start(d)
    # a, b -> infinity together: every customer has the same drop-out probability
    theta = minimise(
        negative_log_likelihood,
        start,
        d,
        names=_NAMES,
        model="BG/NBD",
        limit_pairs=[(2, 3)],
        hess_inv=curvature,
    ).theta
    r, alpha, a, b = np.exp(theta)
    nll, _ = negative_log_likelihood(theta, d)
    # alpha was fitted on times divided by scale; LL(alpha) = LL_scaled - sum(x) ln(scale)
    log_likelihood = -nll * d.customers - d.repeat_purchases * np.log(d.scale)
    return BgNbdParams(
        r=float(r),
        alpha=float(alpha * d.scale),
        a=float(a),
        b=float(b),
        log_likelihood=float(log_likelihood),
    )


def p_alive(params: BgNbdParams, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """P(still active at T | x, t_x, T); 1 for customers without repeat purchases."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds = np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0)
    log_odds += (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    alive = np.exp(-np.logaddexp(0.0, log_odds))
    return np.where(x > 0, alive, 1.0)


NEAR_POLE = 1e-4
"""The closed form is 0/0 at a = 1 (all customers) and at a + b = 1 (x = 0: a pole of 2F1
times a zero). Within this of either, it is interpolated from points 2e-4 either side."""


def conditional_expected_purchases(
    params: BgNbdParams, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Expected purchases in (T, T + t] given the history (Eq. 10).

    Uses Euler's transformation so that the hypergeometric function's parameters do not grow
    with x: (1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z),
    c = a + b + x - 1, z = t / (alpha + T + t).
    """
    if t <= 0:
        return np.zeros_like(x, dtype=np.float64)
    return _if_alive_smooth(params, t, x, T) * p_alive(params, x, tx, T)


def _if_alive_smooth(params: BgNbdParams, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
    for name, gap in (("a", params.a - 1.0), ("b", params.a + params.b - 1.0)):
        if abs(gap) >= NEAR_POLE or (name == "b" and (x > 0).all()):
            continue
        step = 2 * NEAR_POLE
        value = getattr(params, name) - gap  # the parameter value on the pole
        above = _if_alive_smooth(attrs.evolve(params, **{name: value + step}), t, x, T)
        if value - step <= 0:  # b cannot go below 0: take the nearby value as it is
            return above
        below = _if_alive_smooth(attrs.evolve(params, **{name: value - step}), t, x, T)
        return below + (gap + step) / (2 * step) * (above - below)
    return _if_alive(params, t, x, T)


def _if_alive(params: BgNbdParams, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
    """Expected purchases in (T, T + t] of a customer known to be alive."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    log_one_minus_z = -np.log1p(t / (alpha + T))
    hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1 - (1-z)^(a-1) F, as -expm1(log) for precision (when F > 0)
        one_minus = -np.expm1((a - 1.0) * log_one_minus_z + np.log(hyp))
    negative = ~(hyp > 0)  # possible when c < 0 (x = 0 and a + b < 1); also NaN
    one_minus[negative] = 1.0 - np.exp((a - 1.0) * log_one_minus_z[negative]) * hyp[negative]
    bad = ~np.isfinite(one_minus)
    if bad.any():  # fall back on the untransformed function
        xb = x[bad]
        power = np.exp((r + xb) * log_one_minus_z[bad])
        one_minus[bad] = 1.0 - power * hyp2f1(r + xb, b + xb, c[bad], z[bad])
    for i in np.flatnonzero(~np.isfinite(one_minus)):  # SciPy gave up on both forms
        exact = _exact_hyp2f1(a + b - 1.0 - r, a - 1.0, float(c[i]), float(z[i]))
        one_minus[i] = 1.0 - np.exp((a - 1.0) * log_one_minus_z[i]) * exact
    return np.asarray(np.maximum(c / (a - 1.0) * one_minus, 0.0))


def _exact_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """2F1 by mpmath, for the rare points where SciPy returns ``inf`` for a finite value
    (large ``c`` and ``z`` near 0.9, e.g. 2F1(17, 1; 108; 0.901) = 1.1668); NaN at a pole."""
    try:
        return float(mpmath.hyp2f1(a, b, c, z))
    except (ZeroDivisionError, ValueError, mpmath.libmp.NoConvergence):
        return float("nan")


def expected_purchases(params: BgNbdParams, t: float) -> float:
    """Expected repeat purchases in (0, t] of a new customer (Eq. 9)."""
    zero = np.zeros(1)
    return float(conditional_expected_purchases(params, t, zero, zero, zero)[0])
