"""Memory adapter of the CLV store: the latest fit, predictions, and histories in Python."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from crmcore.adapters.memory.database import HeldRows
from crmcore.adapters.memory.database import Transaction as StagedTransaction
from crmcore.domain.clv import ClvFit, Purchase, PurchaseHistory, history_of
from crmcore.domain.clv_status import StoredPrediction
from crmcore.domain.transaction import Transaction

_FIT_KEY = UUID(int=1)
_NAMESPACE = UUID("6f1c2f8e-3f0e-4c55-9b0a-0c1f9a6de001")


class MemoryClvStore:
    """The latest fit (one row) and one prediction row per customer; writes at commit."""

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx
        self._fits = HeldRows[ClvFit](tx, "clv_fits")
        self._predictions = HeldRows[StoredPrediction](tx, "clv_predictions")

    def save_fit(self, fit: ClvFit, *, fitted_at: datetime) -> None:
        self._fits.put(_FIT_KEY, fit)

    def latest_fit(self) -> ClvFit | None:
        return self._fits.get(_FIT_KEY)

    def put_predictions(self, predictions: Sequence[StoredPrediction]) -> None:
        for stored in predictions:
            self._predictions.put(uuid.uuid5(_NAMESPACE, stored.prediction.customer_id), stored)

    def prediction(self, customer_id: str) -> StoredPrediction | None:
        return self._predictions.get(uuid.uuid5(_NAMESPACE, customer_id))

    def predictions_of(self, customer_ids: Sequence[str]) -> dict[str, StoredPrediction]:
        found = ((c, self.prediction(c)) for c in customer_ids)
        return {c: p for c, p in found if p is not None}

    def predictions(self) -> Sequence[StoredPrediction]:
        return sorted(self._predictions.values(), key=lambda s: s.prediction.customer_id)

    def _purchases(self) -> dict[str, list[Purchase]]:
        by_customer: dict[str, list[Purchase]] = defaultdict(list)
        t: Transaction
        for t in self._tx.rows("transactions"):
            at = t.occurred_at.astimezone(UTC) if t.occurred_at.tzinfo else t.occurred_at
            by_customer[str(t.customer)].append((at, t.amount.amount))
        return by_customer

    def purchase_histories(
        self, *, as_of: date, customers: Sequence[str] | None = None
    ) -> Sequence[PurchaseHistory]:
        by_customer = self._purchases()
        wanted = sorted(by_customer if customers is None else set(customers) & set(by_customer))
        histories = (history_of(by_customer[c], customer_id=c, as_of=as_of) for c in wanted)
        return [h for h in histories if h is not None]

    def window_totals(self, *, start: date, end: date) -> Sequence[tuple[str, int, Decimal]]:
        totals: dict[str, tuple[int, Decimal]] = {}
        for customer, purchases in self._purchases().items():
            values = [
                value
                for moment, value in purchases
                if start <= (moment.date() if isinstance(moment, datetime) else moment) <= end
            ]
            if values:
                totals[customer] = (len(values), sum(values, Decimal(0)))
        return [(c, n, total) for c, (n, total) in sorted(totals.items())]
