"""The CLV store, unchanged on memory, SQLite and PostgreSQL: fits, predictions, and the
grouped purchase-history query agreeing with the Python summaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from crmcore.adapters.sql import tables
from crmcore.domain.clv import (
    BgNbdParams,
    ClvFit,
    ClvPrediction,
    GammaGammaParams,
    TimeUnit,
    history_of,
    summarise,
)
from crmcore.domain.clv_status import StoredPrediction
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.transaction import Transaction, TransactionId
from tests.contract.conftest import Backend
from tests.contract.helpers import contact
from tests.strategies import RFM_AS_OF, transaction_histories


def _fit(as_of: date, *, spend: bool = True) -> ClvFit:
    return ClvFit(
        as_of=as_of,
        unit=TimeUnit.WEEKS,
        customers=2357,
        bg_nbd=BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4),
        gamma_gamma=GammaGammaParams(p=6.25, q=3.74, gamma=15.44, customers=946) if spend else None,
        gamma_gamma_error=None if spend else "nobody repeated",
    )


def test_the_latest_fit_is_the_last_stored(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.clv.latest_fit() is None
        uow.clv.save_fit(_fit(date(1997, 9, 30)), fitted_at=backend.clock.now())
        uow.commit()
    with backend.uow() as uow:
        uow.clv.save_fit(_fit(date(1998, 1, 1), spend=False), fitted_at=backend.clock.now())
        uow.rollback()
    with backend.uow() as uow:
        assert uow.clv.latest_fit() == _fit(date(1997, 9, 30))
        uow.clv.save_fit(_fit(date(1998, 1, 1), spend=False), fitted_at=backend.clock.now())
        uow.commit()
    with backend.uow() as uow:
        assert uow.clv.latest_fit() == _fit(date(1998, 1, 1), spend=False)


def _stored(customer: str, clv: str | None, at: datetime) -> StoredPrediction:
    return StoredPrediction(
        prediction=ClvPrediction(
            customer_id=customer,
            frequency=2,
            recency=30.5,
            T=38.75,
            expected_purchases=1.25,
            p_alive=0.75,
            expected_avg_value=None if clv is None else Decimal("35.5"),
            clv=None if clv is None else Decimal(clv),
        ),
        horizon=12.0,
        discount_rate=0.01,
        computed_at=at,
    )


def test_predictions_are_replaced_per_customer(backend: Backend) -> None:
    at = backend.clock.now()
    with backend.uow() as uow:
        uow.clv.put_predictions([_stored("b", "10.25", at), _stored("a", None, at)])
        uow.commit()
    with backend.uow() as uow:
        uow.clv.put_predictions([_stored("b", "99.125", at)])
        uow.commit()
    with backend.uow() as uow:
        assert uow.clv.predictions() == [_stored("a", None, at), _stored("b", "99.125", at)]
        assert uow.clv.prediction("b") == _stored("b", "99.125", at)
        assert uow.clv.prediction("zz") is None
        assert uow.clv.predictions_of(["zz", "b"]) == {"b": uow.clv.prediction("b")}


def _store(backend: Backend, history: list[tuple[str, datetime, Decimal]]) -> dict[str, str]:
    """Store the history's customers and transactions; map history names to stored ids."""
    ids: dict[str, ContactId] = {}
    with backend.uow() as uow:
        for name in sorted({c for c, _, _ in history}):
            person = contact(backend, user_id=f"{name}-{backend.ids.new()}")
            uow.contacts.add(person)
            ids[name] = person.id
        uow.commit()
    rows = [
        Transaction(
            id=TransactionId(backend.ids.new()),
            customer=ids[c],
            occurred_at=at,
            amount=Money(amount, "EUR"),
            external_id=str(backend.ids.new()),
        )
        for c, at, amount in history
    ]
    if backend.engine is None:
        with backend.uow() as uow:
            for row in rows:
                uow.transactions.add(row)
            uow.commit()
    elif rows:  # the SQL transaction repository lives on another branch: insert directly
        with backend.engine.begin() as conn:
            conn.execute(
                insert(tables.transactions),
                [
                    {
                        "id": r.id,
                        "contact_id": r.customer,
                        "occurred_at": r.occurred_at,
                        "amount": r.amount.amount,
                        "currency": r.amount.currency,
                        "external_id": r.external_id,
                        "created_at": backend.clock.now(),
                    }
                    for r in rows
                ],
            )
    return {name: str(cid) for name, cid in ids.items()}


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=transaction_histories(max_customers=6, max_rows=25),
    unit=st.sampled_from(list(TimeUnit)),
    shift=st.integers(-2, 2),
)
def test_grouped_histories_agree_with_summarise(
    backend: Backend, history: list[tuple[str, datetime, Decimal]], unit: TimeUnit, shift: int
) -> None:
    as_of = RFM_AS_OF + timedelta(days=shift)
    ids = _store(backend, history)
    with backend.uow() as uow:
        got = {h.customer_id: h for h in uow.clv.purchase_histories(as_of=as_of)}
        only = uow.clv.purchase_histories(as_of=as_of, customers=sorted(ids.values())[:1])
    for name, customer in ids.items():
        purchases = [(at, amount) for c, at, amount in history if c == name]
        expected = summarise(purchases, customer_id=customer, as_of=as_of, unit=unit)
        if expected is None:
            assert customer not in got
            continue
        history_row = got[customer]
        assert history_row == history_of(purchases, customer_id=customer, as_of=as_of) or (
            backend.name == "sqlite"  # SQLite sums decimal text as floats
        )
        summary = history_row.summary(as_of=as_of, unit=unit)
        assert (summary.frequency, summary.recency, summary.T) == (
            expected.frequency,
            expected.recency,
            expected.T,
        )
        assert abs(summary.monetary_value - expected.monetary_value) < Decimal("1e-6")
    assert [h.customer_id for h in only] == [c for c in sorted(ids.values())[:1] if c in got]


def test_window_totals_count_orders_and_value(backend: Backend) -> None:
    day = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    ids = _store(
        backend,
        [
            ("a", day, Decimal("10.50")),
            ("a", day, Decimal("4.50")),
            ("a", day + timedelta(days=40), Decimal("1")),
            ("b", day - timedelta(days=1), Decimal("7")),
        ],
    )
    with backend.uow() as uow:
        totals = uow.clv.window_totals(start=day.date(), end=day.date() + timedelta(days=30))
    assert [(c, n, float(v)) for c, n, v in totals] == [(ids["a"], 2, 15.0)]
