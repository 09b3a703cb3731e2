"""The CLV-model port: fit a purchase and spend model, then predict per customer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from crmcore.domain.clv import ClvFit, ClvPrediction, CustomerSummary, TimeUnit


class SummaryColumns(Protocol):
    """Customer summaries as columns (NumPy arrays fit), for fitting a million at once."""

    @property
    def frequency(self) -> Iterable[float]: ...

    @property
    def recency(self) -> Iterable[float]: ...

    @property
    def T(self) -> Iterable[float]: ...

    @property
    def monetary_value(self) -> Iterable[float] | None:
        """Mean repeat-transaction value per customer; None fits no spend model."""
        ...


class ClvModel(Protocol):
    """Fits BG/NBD + Gamma-Gamma (or any equivalent) and forecasts from a stored fit."""

    def fit(
        self, summaries: Sequence[CustomerSummary] | SummaryColumns, *, as_of: date, unit: TimeUnit
    ) -> ClvFit:
        """Fit on all customers; raises ``ClvFitError`` when the data cannot support a fit."""
        ...

    def predict(
        self,
        fit: ClvFit,
        summaries: Sequence[CustomerSummary],
        *,
        horizon: float,
        discount_rate: float,
    ) -> list[ClvPrediction]:
        """Forecast ``horizon`` months ahead, discounting each month at ``discount_rate``."""
        ...
