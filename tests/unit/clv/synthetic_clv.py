"""Synthetic customer populations drawn from the BG/NBD process, for the CLV tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crmcore.domain.clv import BgNbdParams
from tests.unit.clv.simulate import bg_nbd_histories

FloatArray = NDArray[np.float64]
CDNOW_PARAMS = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
"""The published CDNOW estimates, used as a realistic truth."""


def population(
    params: BgNbdParams, n: int, seed: int, *, on_day_grid: bool = True
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """n customers observed 1..52 weeks; recency rounded up to whole days if on the grid."""
    rng = np.random.default_rng(seed)
    days = rng.integers(7, 365, n).astype(np.float64)
    x, tx = bg_nbd_histories(params, days / 7, seed=seed + 1)
    if on_day_grid:
        tx = np.minimum(np.ceil(tx * 7), days) / 7
    return x, tx, days / 7
