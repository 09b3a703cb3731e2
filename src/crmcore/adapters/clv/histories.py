"""Customer histories (x, t_x, T) as the BG/NBD fit wants them: checked, merged, indexed.

Identical histories become one weighted row: on a time grid (summaries built from dated
purchases are on the day grid) one int64 key per customer and one sort find them; off the
grid only customers without repeat purchases, who differ by T alone, are merged.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from crmcore.adapters.clv._mle import dot
from crmcore.domain.clv import ClvFitError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

Table = tuple[FloatArray, IntArray]


def _table(values: FloatArray) -> Table | None:
    """Distinct values and each value's index, if there are at most a quarter as many."""
    probe = values[:: max(1, values.size // 2000)]
    if 4 * np.unique(probe).size > probe.size:
        return None
    distinct, at = np.unique(values, return_inverse=True)
    return (distinct, at.reshape(-1)) if 4 * distinct.size <= values.size else None


@attrs.frozen(kw_only=True)
class Compressed:
    """Histories with identical rows merged; times divided by ``scale`` (max T)."""

    scale: float
    t0: FloatArray  # x = 0: distinct T
    n0: FloatArray  # x = 0: customers per T
    xs: FloatArray  # distinct x > 0
    nx: FloatArray  # customers per distinct x
    row: IntArray  # x > 0 rows: index into xs
    x: FloatArray
    tx: FloatArray
    T: FloatArray
    n: FloatArray  # customers per row
    tx_table: Table | None  # distinct t_x values and each row's index, when few
    T_table: Table | None

    @property
    def customers(self) -> float:
        return float(self.n0.sum() + self.n.sum())

    @property
    def repeat_purchases(self) -> float:
        return dot(self.n, self.x)

    def thinned(self, fraction: float, seed: int = 0) -> Compressed:
        """A random sub-population (binomial thinning of the weights), for a warm start."""
        rng = np.random.default_rng(seed)
        n0 = rng.binomial(self.n0.astype(np.int64), fraction).astype(np.float64)
        n = rng.binomial(self.n.astype(np.int64), fraction).astype(np.float64)
        keep0, keep = n0 > 0, n > 0
        return _with_rows(
            self.scale, self.t0[keep0], n0[keep0], self.x[keep], self.tx[keep], self.T[keep],
            n[keep],
        )  # fmt: skip


def _with_rows(
    scale: float,
    t0: FloatArray,
    n0: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    n: FloatArray,
) -> Compressed:
    xs, row = np.unique(x, return_inverse=True)
    nx = np.bincount(row, weights=n, minlength=xs.size).astype(np.float64)
    return Compressed(
        scale=scale,
        t0=t0,
        n0=n0,
        xs=xs,
        nx=nx,
        row=row,
        x=x,
        tx=tx,
        T=T,
        n=n.astype(np.float64),
        tx_table=_table(tx),
        T_table=_table(T),
    )


def validate(x: FloatArray, tx: FloatArray, T: FloatArray) -> None:
    """Raise ClvFitError unless the arrays are well-formed summaries."""
    if not (x.shape == tx.shape == T.shape and x.ndim == 1):
        raise ClvFitError("invalid data: frequency, recency and T must be 1-D and equally long")
    if x.size == 0:
        raise ClvFitError("no customers")
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(T).all()):
        raise ClvFitError("invalid data: frequency, recency and T must be finite")
    if (x < 0).any() or (x != np.floor(x)).any():
        raise ClvFitError("invalid data: frequency must be a whole number >= 0")
    if (tx < 0).any() or (tx > T).any():
        raise ClvFitError("invalid data: recency must lie in [0, T]")


def _grid_keys(
    x: FloatArray, tx: FloatArray, T: FloatArray, grid: int | None
) -> tuple[NDArray[np.int64], int] | None:
    """One int64 key per history (x, t_x, T) when the times lie on the grid, else None."""
    if grid is None or x.size == 0:
        return None
    days = np.rint(T * grid)
    days_x = np.rint(tx * grid)
    width = float(days.max()) + 1
    if (
        np.abs(days - T * grid).max() > 1e-6
        or np.abs(days_x - tx * grid).max() > 1e-6
        or (float(x.max()) + 1) * width * width >= 2.0**62
    ):
        return None
    key = (x.astype(np.int64) * int(width) + days_x.astype(np.int64)) * int(width)
    key += days.astype(np.int64)
    return key, int(width)


def _decode(
    key: NDArray[np.int64], width: int, grid: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    rest, days = np.divmod(key, width)
    x, days_x = np.divmod(rest, width)
    unit = 1.0 / grid
    return x.astype(np.float64), days_x.astype(np.float64) * unit, days.astype(np.float64) * unit


def distinct(
    x: FloatArray, tx: FloatArray, T: FloatArray, *, grid: int | None
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray] | None:
    """The distinct histories and, per customer, the index of its own; None off the grid."""
    keyed = _grid_keys(x, np.where(x > 0, tx, 0.0), T, grid)
    if keyed is None or grid is None:
        return None
    keys, inverse = np.unique(keyed[0], return_inverse=True)
    return (*_decode(keys, keyed[1], grid), inverse.reshape(-1))


def compress(x: FloatArray, tx: FloatArray, T: FloatArray, *, grid: int | None) -> Compressed:
    """Merge identical histories. ``grid``: time points per unit (7 for weeks built from days).

    On a grid the rows become one int64 key each and a single sort finds the distinct ones;
    off the grid only the x = 0 customers (distinguished by T alone) are merged.
    """
    scale = float(T.max())
    if scale <= 0:
        raise ClvFitError("no observation time: every customer's T is 0")
    tx = np.where(x > 0, tx, 0.0)
    keyed = _grid_keys(x, tx, T, grid)
    if keyed is not None and grid is not None:
        keys, counts = np.unique(keyed[0], return_counts=True)
        xk, txk, Tk = _decode(keys, keyed[1], grid)
        n = counts.astype(np.float64)
        zero = xk == 0
        rep = ~zero
        return _with_rows(
            scale,
            Tk[zero] / scale,
            n[zero],
            xk[rep],
            txk[rep] / scale,
            Tk[rep] / scale,
            n[rep],
        )
    zero = x == 0
    t0, n0 = np.unique(T[zero], return_counts=True)
    rep = ~zero
    return _with_rows(
        scale,
        t0 / scale,
        n0.astype(np.float64),
        x[rep],
        tx[rep] / scale,
        T[rep] / scale,
        np.ones(int(rep.sum())),
    )
