"""Maximum likelihood on log-parameters, and what counts as converged.

BFGS runs on phi with log-parameter theta = 15 tanh(phi / 15): theta stays in (-15, 15), is
phi near the usual values, and an estimate running off to 0 or infinity ends near the edge,
where it is reported. (L-BFGS-B took the same steps but its LAPACK calls go through
multi-threaded OpenBLAS, which made each step cost milliseconds on a busy 2-core machine.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from crmcore.domain.clv import ClvFitError

FloatArray = NDArray[np.float64]
Data = TypeVar("Data")

LOG_BOUND = 15.0
"""Log-parameters are kept in (-15, 15)."""
RUNAWAY = 12.0
"""A log-parameter beyond +-12 (a parameter above 160,000 or below 6e-6, times being scaled to
max T = 1 and money to its geometric mean) is on its way to 0 or infinity."""
GRADIENT_OK = 1e-5
"""Largest gradient (of the mean log-likelihood) accepted when the line search stops early."""


@attrs.frozen(kw_only=True, eq=False)
class Optimum:
    """Log-parameters at the optimum, and BFGS's inverse Hessian there (search space)."""

    theta: FloatArray
    hess_inv: FloatArray


def minimise(
    objective: Callable[[FloatArray, Data], tuple[float, FloatArray]],
    start: FloatArray,
    data: Data,
    *,
    names: Sequence[str],
    model: str,
    check_bounds: bool = True,
    runaway: float = RUNAWAY,
    limit_pairs: Sequence[tuple[int, int]] = (),
    hess_inv: FloatArray | None = None,
) -> Optimum:
    """Log-parameters minimising ``objective`` (value and gradient); ClvFitError if none.

    An estimate whose log passes ``runaway`` is taken to be heading for 0 or infinity: the
    likelihood has no maximum inside (too few or too uniform data). Except for the pairs in
    ``limit_pairs`` growing together: the shape and scale of a mixing distribution going to
    infinity at a steady ratio is the well-defined limit of no heterogeneity. ``hess_inv``
    (from an earlier optimum, e.g. on a sample) starts BFGS with that curvature.
    """

    def squashed(phi: FloatArray, data: Data) -> tuple[float, FloatArray]:
        squeeze = np.tanh(phi / LOG_BOUND)
        value, grad = objective(LOG_BOUND * squeeze, data)
        return value, grad * (1.0 - squeeze**2)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = minimize(
            squashed,
            LOG_BOUND * np.arctanh(np.asarray(start) / LOG_BOUND),
            args=(data,),
            jac=True,
            method="BFGS",
            options={"maxiter": 1000, "gtol": 1e-7, "hess_inv0": hess_inv},
        )
        theta = LOG_BOUND * np.tanh(np.asarray(result.x, dtype=np.float64) / LOG_BOUND)
        value, grad = objective(theta, data)
    # a pair on its way out together: both large, one already past the mark
    limits = {
        i
        for pair in limit_pairs
        if theta[list(pair)].min() > runaway / 2 and theta[list(pair)].max() > runaway
        for i in pair
    }
    stuck = [
        name
        for i, (name, v) in enumerate(zip(names, theta, strict=True))
        if abs(v) > runaway and i not in limits
    ]
    if check_bounds and stuck:
        raise ClvFitError(
            f"did not converge: {model}: {', '.join(stuck)} ran off towards 0 or infinity; "
            "the data are too few or too uniform to pin the model down"
        )
    finite = bool(np.isfinite(theta).all() and np.isfinite(value) and np.isfinite(grad).all())
    # Rounding can stop the line search short of gtol at the optimum: accept a tiny gradient.
    if not (finite and (result.success or stuck or np.abs(grad).max() <= GRADIENT_OK)):
        raise ClvFitError(f"did not converge: {model}: {result.message}")
    return Optimum(theta=theta, hess_inv=np.asarray(result.hess_inv, dtype=np.float64))


def dot(a: FloatArray, b: FloatArray) -> float:
    """Sum of products without BLAS: a multi-threaded BLAS dot stalls on a busy 2-core box
    (0.5 s fits took 2-3 s while another process held one core)."""
    return float(np.einsum("i,i->", a, b))
