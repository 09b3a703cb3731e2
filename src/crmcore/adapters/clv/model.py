"""``NumpyClvModel``: the ClvModel port on NumPy/SciPy (BG/NBD + Gamma-Gamma).

CLV over a horizon of H months with monthly discount rate d, as lifetimes'
``customer_lifetime_value``::

    CLV = sum_{k=1..ceil(H)} v * (E[Y(u * m_k)] - E[Y(u * m_(k-1))]) / (1 + d)^k

with m_k = min(k, H) months, u the model's units per month (4.345 weeks or 30 days),
E[Y(t)] the BG/NBD conditional expected purchases in the next t units and v the Gamma-Gamma
conditional expected transaction value: each month's purchases are discounted at the month's
end (a part month at the end of the month it starts). For whole H this is lifetimes' sum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

import attrs
import numpy as np
from numpy.typing import NDArray

from crmcore.adapters.clv import bgnbd, gamma_gamma, histories
from crmcore.domain.clv import ClvFit, ClvFitError, ClvPrediction, CustomerSummary, TimeUnit
from crmcore.ports.clv import SummaryColumns

FloatArray = NDArray[np.float64]


def _column(values: Iterable[float]) -> FloatArray:
    if not isinstance(values, np.ndarray | Sequence):
        values = list(values)
    return np.ascontiguousarray(values, dtype=np.float64).reshape(-1)


@attrs.frozen(kw_only=True, eq=False)
class Columns:
    """Customer summaries as float64 columns; satisfies the port's ``SummaryColumns``."""

    frequency: FloatArray = attrs.field(converter=_column)
    recency: FloatArray = attrs.field(converter=_column)
    T: FloatArray = attrs.field(converter=_column)
    monetary_value: FloatArray | None = attrs.field(
        default=None, converter=attrs.converters.optional(_column)
    )

    @classmethod
    def of(cls, summaries: Sequence[CustomerSummary] | SummaryColumns) -> Columns:
        """Columns from domain summaries or from any columnar source."""
        if isinstance(summaries, Columns):
            return summaries
        if isinstance(summaries, Sequence):
            return cls(
                frequency=[s.frequency for s in summaries],
                recency=[s.recency for s in summaries],
                T=[s.T for s in summaries],
                monetary_value=[float(s.monetary_value) for s in summaries],
            )
        return cls(
            frequency=summaries.frequency,
            recency=summaries.recency,
            T=summaries.T,
            monetary_value=summaries.monetary_value,
        )


@attrs.frozen(kw_only=True, eq=False)
class ColumnPredictions:
    """Predictions as columns, in the order of the input customers."""

    expected_purchases: FloatArray
    p_alive: FloatArray
    expected_avg_value: FloatArray | None
    clv: FloatArray | None


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value)))


class NumpyClvModel:
    """BG/NBD + Gamma-Gamma fitted by maximum likelihood; see the module doc for CLV."""

    def fit(
        self, summaries: Sequence[CustomerSummary] | SummaryColumns, *, as_of: date, unit: TimeUnit
    ) -> ClvFit:
        """Fit both models. BG/NBD failures raise ClvFitError; a Gamma-Gamma failure leaves
        ``gamma_gamma`` None with the reason in ``gamma_gamma_error``."""
        c = Columns.of(summaries)
        params = bgnbd.fit(c.frequency, c.recency, c.T, grid=unit.days)
        spend, spend_error = None, None
        if c.monetary_value is None:
            spend_error = "no monetary values given"
        else:
            try:
                spend = gamma_gamma.fit(c.frequency, c.monetary_value)
            except ClvFitError as error:
                spend_error = error.reason
        return ClvFit(
            as_of=as_of,
            unit=unit,
            customers=int(c.frequency.size),
            bg_nbd=params,
            gamma_gamma=spend,
            gamma_gamma_error=spend_error,
        )

    def predict(
        self,
        fit: ClvFit,
        summaries: Sequence[CustomerSummary],
        *,
        horizon: float,
        discount_rate: float,
    ) -> list[ClvPrediction]:
        """Per-customer forecast ``horizon`` months ahead (see the module doc for CLV)."""
        if not summaries:
            return []
        cols = self.predict_columns(
            fit, Columns.of(summaries), horizon=horizon, discount_rate=discount_rate
        )
        values, clvs = cols.expected_avg_value, cols.clv
        return [
            ClvPrediction(
                customer_id=s.customer_id,
                frequency=s.frequency,
                recency=s.recency,
                T=s.T,
                expected_purchases=float(cols.expected_purchases[i]),
                p_alive=float(cols.p_alive[i]),
                expected_avg_value=None if values is None else _money(values[i]),
                clv=None if clvs is None else _money(clvs[i]),
            )
            for i, s in enumerate(summaries)
        ]

    def predict_columns(
        self,
        fit: ClvFit,
        columns: SummaryColumns,
        *,
        horizon: float,
        discount_rate: float,
    ) -> ColumnPredictions:
        """Vectorised ``predict`` for many customers at once (ClvFitError on malformed data)."""
        if not (math.isfinite(horizon) and horizon >= 0):
            raise ValueError(f"horizon must be a finite number of months >= 0, got {horizon}")
        if not (math.isfinite(discount_rate) and discount_rate > -1):
            raise ValueError(f"discount_rate must be > -1, got {discount_rate}")
        c = Columns.of(columns)
        x, tx, T = c.frequency, c.recency, c.T
        if x.size:
            histories.validate(x, tx, T)
        # identical histories get identical forecasts: compute each once
        rows = histories.distinct(x, tx, T, grid=fit.unit.days)
        xu, txu, Tu, back = rows if rows is not None else (x, tx, T, None)
        purchases, discounted = _purchases(fit, xu, txu, Tu, horizon, discount_rate)
        if back is not None:
            purchases, discounted = purchases[back], discounted[back]
        alive = bgnbd.p_alive(fit.bg_nbd, x, tx, T)
        spend = fit.gamma_gamma
        if spend is None or c.monetary_value is None:
            return ColumnPredictions(
                expected_purchases=purchases, p_alive=alive, expected_avg_value=None, clv=None
            )
        if not np.isfinite(c.monetary_value).all():
            raise ClvFitError("invalid data: monetary values must be finite")
        value = gamma_gamma.conditional_expected_value(spend, x, c.monetary_value)
        return ColumnPredictions(
            expected_purchases=purchases,
            p_alive=alive,
            expected_avg_value=value,
            clv=discounted * value,
        )


def _purchases(
    fit: ClvFit, x: FloatArray, tx: FloatArray, T: FloatArray, horizon: float, rate: float
) -> tuple[FloatArray, FloatArray]:
    """Expected purchases over the horizon, and their monthly discounted sum."""
    per_month = fit.unit.per_month
    discounted = np.zeros_like(x)
    before = np.zeros_like(x)
    for k in range(1, math.ceil(horizon) + 1):
        months = min(float(k), horizon)
        cumulative = bgnbd.conditional_expected_purchases(fit.bg_nbd, months * per_month, x, tx, T)
        discounted += (cumulative - before) / (1.0 + rate) ** k
        before = cumulative
    return before, discounted
