"""Synthetic customers drawn from the BG/NBD process, for the CLV tests and `bench/clv.py`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crmcore.domain.clv import BgNbdParams, GammaGammaParams

FloatArray = NDArray[np.float64]


def bg_nbd_histories(
    params: BgNbdParams, T: FloatArray, *, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers observed for ``T`` units after their first buy.

    Each customer buys at rate lambda ~ gamma(r, alpha) and drops out after each repeat purchase
    with probability p ~ beta(a, b). Given N Poisson events in (0, T], the k-th happens at
    T * Beta(k, N - k + 1), so the recency is drawn directly from that.
    """
    rng = np.random.default_rng(seed)
    n = T.size
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    drop = rng.beta(params.a, params.b, n)
    lifetime_purchases = rng.geometric(drop)
    events = rng.poisson(rate * T)
    x = np.minimum(lifetime_purchases, events)
    last = rng.beta(np.maximum(x, 1), events - x + 1)
    tx = np.where(x > 0, T * last, 0.0)
    return x.astype(np.float64), tx


def gamma_gamma_spend(params: GammaGammaParams, frequency: FloatArray, *, seed: int) -> FloatArray:
    """Draw each customer's mean repeat-transaction value (0 without repeat purchases).

    Transaction values are gamma(p, nu) with nu ~ gamma(q, gamma) (rates); the mean of x of
    them is gamma(p x, x nu).
    """
    rng = np.random.default_rng(seed)
    nu = rng.gamma(params.q, 1.0 / params.gamma, frequency.size)
    x = np.maximum(frequency, 1.0)
    mean = rng.gamma(params.p * x, 1.0 / (nu * x))
    return np.where(frequency > 0, mean, 0.0)
