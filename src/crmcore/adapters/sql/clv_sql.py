"""SQL adapter of the CLV store: fits, predictions, and purchase histories in one query.

The histories come from one grouped query over ``transactions``: purchases are grouped by
(customer, UTC day) first, so same-day purchases are one transaction as in
:func:`crmcore.domain.clv.summarise`; a window numbers each customer's days both ways, and
the outer ``GROUP BY customer`` takes the first, last and previous day, the number of days
and the spend after the first day. The covering index ``(contact_id, occurred_at, amount)``
answers the inner grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Date, case, cast, delete, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.mapping import fields_from, fields_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.clv import (
    BgNbdParams,
    ClvFit,
    ClvPrediction,
    GammaGammaParams,
    PurchaseHistory,
    TimeUnit,
)
from crmcore.domain.clv_status import StoredPrediction
from crmcore.domain.rfm import cutoff, day_start

CHUNK = 500


def _day(value: Any) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def day_of(occurred: ColumnElement[Any], *, sqlite: bool) -> ColumnElement[Any]:
    """The UTC calendar day of an instant column (SQLite stores naive UTC text)."""
    if sqlite:
        return func.date(occurred)
    return cast(func.timezone("UTC", occurred), Date)


def histories_select(*, as_of: date, sqlite: bool, customers: Sequence[UUID] | None = None) -> Any:
    """``SELECT customer, first_day, last_day, previous_day, days, repeat_total``."""
    tx = t.transactions
    day = day_of(tx.c.occurred_at, sqlite=sqlite)
    inner = select(
        tx.c.contact_id.label("customer"),
        day.label("day"),
        func.sum(tx.c.amount).label("total"),
    ).where(tx.c.occurred_at < cutoff(as_of))
    if customers is not None:
        inner = inner.where(tx.c.contact_id.in_(customers))
    days = inner.group_by(tx.c.contact_id, day).subquery("days")
    numbered = select(
        days.c.customer,
        days.c.day,
        days.c.total,
        func.row_number().over(partition_by=days.c.customer, order_by=days.c.day).label("rn"),
        func.row_number()
        .over(partition_by=days.c.customer, order_by=days.c.day.desc())
        .label("rd"),
    ).subquery("numbered")
    n = numbered.c
    return (
        select(
            n.customer,
            func.min(n.day).label("first_day"),
            func.max(n.day).label("last_day"),
            func.max(case((n.rd == 2, n.day), else_=None)).label("previous_day"),
            func.count().label("days"),
            func.sum(case((n.rn > 1, n.total), else_=literal(0))).label("repeat_total"),
        )
        .group_by(n.customer)
        .order_by(n.customer)
    )


def _fit_row(fit: ClvFit) -> dict[str, Any]:
    gg = fit.gamma_gamma
    return {
        "as_of": fit.as_of,
        "unit": fit.unit.value,
        "customers": fit.customers,
        "r": fit.bg_nbd.r,
        "alpha": fit.bg_nbd.alpha,
        "a": fit.bg_nbd.a,
        "b": fit.bg_nbd.b,
        "log_likelihood": fit.bg_nbd.log_likelihood,
        "gg_p": None if gg is None else gg.p,
        "gg_q": None if gg is None else gg.q,
        "gg_gamma": None if gg is None else gg.gamma,
        "gg_customers": None if gg is None else gg.customers,
        "gg_error": fit.gamma_gamma_error,
    }


def _fit_of(row: Any) -> ClvFit:
    spend = None
    if row["gg_p"] is not None:
        spend = GammaGammaParams(
            p=row["gg_p"], q=row["gg_q"], gamma=row["gg_gamma"], customers=row["gg_customers"]
        )
    return ClvFit(
        as_of=_day(row["as_of"]),
        unit=TimeUnit(row["unit"]),
        customers=row["customers"],
        bg_nbd=BgNbdParams(
            r=row["r"],
            alpha=row["alpha"],
            a=row["a"],
            b=row["b"],
            log_likelihood=row["log_likelihood"],
        ),
        gamma_gamma=spend,
        gamma_gamma_error=row["gg_error"],
    )


def _prediction_row(stored: StoredPrediction) -> dict[str, Any]:
    return fields_row(
        stored.prediction,
        renamed={"T": "t"},
        horizon=stored.horizon,
        discount_rate=stored.discount_rate,
        computed_at=stored.computed_at,
    )


def _prediction_of(row: Any) -> StoredPrediction:
    return StoredPrediction(
        prediction=fields_from(ClvPrediction, row, renamed={"T": "t"}),
        horizon=row["horizon"],
        discount_rate=row["discount_rate"],
        computed_at=row["computed_at"],
    )


class SqlClvStore:
    """The CLV store over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def save_fit(self, fit: ClvFit, *, fitted_at: Any) -> None:
        row = {**_fit_row(fit), "fitted_at": fitted_at}
        self._s.write(lambda: self._s.conn.execute(insert(t.clv_fits), row), table=t.clv_fits)

    def latest_fit(self) -> ClvFit | None:
        rows = self._s.read(select(t.clv_fits).order_by(t.clv_fits.c.id.desc()).limit(1))
        return _fit_of(rows[0]) if rows else None

    def put_predictions(self, predictions: Sequence[StoredPrediction]) -> None:
        table = t.clv_predictions
        rows = [_prediction_row(p) for p in predictions]
        for start in range(0, len(rows), CHUNK):
            keys = [r["customer_id"] for r in rows[start : start + CHUNK]]
            stmt = delete(table).where(table.c.customer_id.in_(keys))
            self._s.write(lambda s=stmt: self._s.conn.execute(s), table=table)  # type: ignore[misc]
        self._s.insert_many(table, rows)

    def prediction(self, customer_id: str) -> StoredPrediction | None:
        table = t.clv_predictions
        rows = self._s.read(select(table).where(table.c.customer_id == customer_id))
        return _prediction_of(rows[0]) if rows else None

    def predictions_of(self, customer_ids: Sequence[str]) -> dict[str, StoredPrediction]:
        table, ids = t.clv_predictions, sorted(set(customer_ids))
        found: dict[str, StoredPrediction] = {}
        for start in range(0, len(ids), 900):  # within SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            for row in self._s.read(select(table).where(table.c.customer_id.in_(chunk))):
                stored = _prediction_of(row)
                found[stored.prediction.customer_id] = stored
        return found

    def predictions(self) -> Sequence[StoredPrediction]:
        table = t.clv_predictions
        return [
            _prediction_of(r) for r in self._s.read(select(table).order_by(table.c.customer_id))
        ]

    def purchase_histories(
        self, *, as_of: date, customers: Sequence[str] | None = None
    ) -> Sequence[PurchaseHistory]:
        keys = None
        if customers is not None:
            keys = [UUID(c) for c in customers]
            if not keys:
                return []
        stmt = histories_select(as_of=as_of, sqlite=self._s.sqlite, customers=keys)
        with self._s.translating():
            result = self._s.conn.execute(stmt)
            return [
                PurchaseHistory(
                    customer_id=str(customer),
                    first_day=_day(first),
                    last_day=_day(last),
                    previous_day=None if previous is None else _day(previous),
                    purchase_days=int(count),
                    repeat_total=_decimal(repeat),
                )
                for customer, first, last, previous, count, repeat in result
            ]

    def window_totals(self, *, start: date, end: date) -> Sequence[tuple[str, int, Decimal]]:
        tx = t.transactions
        stmt = (
            select(tx.c.contact_id, func.count(), func.sum(tx.c.amount))
            .where(tx.c.occurred_at >= day_start(start), tx.c.occurred_at < cutoff(end))
            .group_by(tx.c.contact_id)
            .order_by(tx.c.contact_id)
        )
        with self._s.translating():
            return [(str(c), int(n), _decimal(total)) for c, n, total in self._s.conn.execute(stmt)]
