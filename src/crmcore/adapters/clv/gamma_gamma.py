"""Gamma-Gamma spend model: Fader, Hardie & Lee (2005), "RFM and CLV"; Fader & Hardie (2013).

A customer's transaction values are gamma(p, nu) and nu ~ gamma(q, gamma) across customers.
For a customer with x repeat transactions of mean value m (Fader & Hardie 2013, Eq. 3)::

    LL = lnG(px + q) - lnG(px) - lnG(q) + q ln(gamma) + (px - 1) ln(m) + px ln(x)
         - (px + q) ln(gamma + m x)

Fitted on the customers with x > 0 and m > 0. Values are divided by their geometric mean
before fitting (gamma scales with them), so huge amounts neither overflow nor slow it down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln

from crmcore.adapters.clv._mle import dot, minimise
from crmcore.domain.clv import ClvFitError, GammaGammaParams

FloatArray = NDArray[np.float64]
_NAMES = ("p", "q", "gamma")
RUNAWAY = 10.0
"""p or q beyond e^10 = 22,026 means no spread at all in spend (one customer, equal amounts):
the likelihood then has no maximum, and the line search may stop anywhere on the way out."""


class _Data:
    """Sufficient statistics of the repeat purchasers (values already scaled)."""

    def __init__(self, x: FloatArray, m: FloatArray) -> None:
        self.customers = float(x.size)
        self.xs, row = np.unique(x, return_inverse=True)
        self.nx = np.bincount(row, minlength=self.xs.size).astype(np.float64)
        self.x = x
        self.mx = m * x
        log_m = np.log(m)
        self.x_log_m_x = dot(x, log_m) + dot(x, np.log(x))  # sum x ln m + x ln x
        self.sum_log_m = float(log_m.sum())


def _negative_log_likelihood(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    p, q, g = np.exp(theta)
    n = d.customers
    pxq = p * d.xs + q
    log_gmx = np.log(g + d.mx)
    inv_gmx = 1.0 / (g + d.mx)
    x_log_gmx = dot(d.x, log_gmx)
    sum_log_gmx = float(log_gmx.sum())
    ll = (
        dot(d.nx, gammaln(pxq) - gammaln(p * d.xs))
        - n * gammaln(q)
        + n * q * np.log(g)
        + p * d.x_log_m_x
        - d.sum_log_m
        - p * x_log_gmx
        - q * sum_log_gmx
    )
    g_p = dot(d.nx * d.xs, digamma(pxq) - digamma(p * d.xs)) + d.x_log_m_x - x_log_gmx
    g_q = dot(d.nx, digamma(pxq)) - n * digamma(q) + n * np.log(g) - sum_log_gmx
    g_g = n * q / g - p * dot(d.x, inv_gmx) - q * float(inv_gmx.sum())
    grad = np.array([g_p * p, g_q * q, g_g * g]) / -n
    return float(-ll / n), grad


def fit(frequency: FloatArray, monetary: FloatArray) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma estimates; raises ClvFitError when there are none."""
    if frequency.shape != monetary.shape:
        raise ClvFitError("invalid data: frequency and monetary value must be equally long")
    if not np.isfinite(monetary).all():
        raise ClvFitError("invalid data: monetary values must be finite")
    spenders = (frequency > 0) & (monetary > 0)
    if not spenders.any():
        raise ClvFitError(
            "no repeat purchasers: Gamma-Gamma needs customers with frequency > 0 "
            "and a positive mean spend"
        )
    x, m = frequency[spenders], monetary[spenders]
    scale = float(np.exp(np.log(m).mean()))
    d = _Data(x, m / scale)
    theta = minimise(
        _negative_log_likelihood,
        np.log([1.0, 2.0, 1.0]),
        d,
        names=_NAMES,
        model="Gamma-Gamma",
        runaway=RUNAWAY,
    ).theta
    p, q, g = np.exp(theta)
    if q <= 1:
        raise ClvFitError(
            f"Gamma-Gamma estimate q = {q:.3g} <= 1: the mean spend is infinite (heavy tail)"
        )
    return GammaGammaParams(p=float(p), q=float(q), gamma=float(g * scale), customers=int(x.size))


def conditional_expected_value(
    params: GammaGammaParams, frequency: FloatArray, monetary: FloatArray
) -> FloatArray:
    """Expected mean transaction value given x and m (Eq. 5): p(gamma + x m) / (px + q - 1).

    A weighted average of the population mean p gamma / (q - 1) and the customer's own mean m;
    customers without repeat purchases get the population mean.
    """
    p, q, g = params.p, params.q, params.gamma
    x = np.asarray(frequency, dtype=np.float64)
    m = np.where(x > 0, monetary, 0.0)
    return np.asarray(p * (g + x * m) / (p * x + q - 1.0))
