"""Maximum likelihood on log-parameters with L-BFGS-B, and what counts as converged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from crmcore.domain.clv import ClvFitError

FloatArray = NDArray[np.float64]
Data = TypeVar("Data")

LOG_BOUND = 15.0
"""Log-parameters are kept in [-15, 15]; an estimate that ends on the bound has diverged."""


def minimise(
    objective: Callable[[FloatArray, Data], tuple[float, FloatArray]],
    start: FloatArray,
    data: Data,
    *,
    names: Sequence[str],
    model: str,
    check_bounds: bool = True,
    runaway: float = LOG_BOUND - 1e-3,
) -> FloatArray:
    """Log-parameters minimising ``objective`` (value and gradient); ClvFitError if none.

    An estimate whose log passes ``runaway`` is taken to be heading for 0 or infinity: the
    likelihood has no maximum inside (too few or too uniform data).
    """
    result = minimize(
        objective,
        start,
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(names),
        options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    finite = bool(np.isfinite(theta).all() and np.isfinite(result.fun))
    # At the optimum, rounding can stop the line search short of gtol: accept a tiny gradient.
    if not (finite and (result.success or np.abs(result.jac).max() <= 1e-5)):
        raise ClvFitError(f"did not converge: {model}: {result.message}")
    stuck = [name for name, value in zip(names, theta, strict=True) if abs(value) > runaway]
    if check_bounds and stuck:
        raise ClvFitError(
            f"did not converge: {model}: {', '.join(stuck)} ran off towards 0 or infinity; "
            "the data are too few or too uniform to pin the model down"
        )
    return theta
