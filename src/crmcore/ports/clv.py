"""The CLV-model port: fit a purchase and spend model, then predict per customer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from crmcore.domain.clv import ClvFit, ClvPrediction, CustomerSummary, PurchaseHistory, TimeUnit
from crmcore.domain.clv_status import StoredPrediction


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


class PurchaseHistories(Protocol):
    """Per-customer purchase histories computed where the transactions are."""

    def purchase_histories(
        self, *, as_of: date, customers: Sequence[str] | None = None
    ) -> Sequence[PurchaseHistory]:
        """Every customer (or only ``customers``) with a purchase on or before ``as_of``,
        ordered by customer id. Days are UTC calendar days; same-day purchases are one."""
        ...

    def window_totals(self, *, start: date, end: date) -> Sequence[tuple[str, int, Decimal]]:
        """``(customer, orders, total value)`` of the purchases in ``[start, end]`` (UTC
        days, both included), ordered by customer id; each purchase is one order."""
        ...


class ClvFitRepository(Protocol):
    """The latest CLV fit of the store and the customers' stored predictions."""

    def save_fit(self, fit: ClvFit, *, fitted_at: datetime) -> None:
        """Store a fit; it becomes the latest."""
        ...

    def latest_fit(self) -> ClvFit | None: ...

    def put_predictions(self, predictions: Sequence[StoredPrediction]) -> None:
        """Store (replace) the predictions of these customers."""
        ...

    def prediction(self, customer_id: str) -> StoredPrediction | None: ...

    def predictions_of(self, customer_ids: Sequence[str]) -> dict[str, StoredPrediction]:
        """The stored predictions of these customers (those without one are left out)."""
        ...

    def predictions(self) -> Sequence[StoredPrediction]:
        """Every stored prediction, ordered by customer id."""
        ...


class ClvStore(ClvFitRepository, PurchaseHistories, Protocol):
    """What the unit of work exposes as ``clv``."""
