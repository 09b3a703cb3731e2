"""The SQLite bulk writers store exactly the rows the general ``SqlSession`` paths store
(raw values and their SQLite types, read back without any conversion)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.intelligence import SqlTransactionRepository, transaction_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.system import FixedClock
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.transaction import Transaction, TransactionId
from tests.strategies import amounts, instants

AT = datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=3)))


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    t.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _stored(engine: Engine, table: str, write: Callable[[Connection], None]) -> list[Any]:
    """The raw rows (with each value's SQLite type) ``write`` leaves, rolled back after."""
    with engine.connect() as conn:
        write(conn)
        columns = [c.name for c in t.metadata.tables[table].c]
        types = ", ".join(f"typeof({c})" for c in columns)
        rows = conn.exec_driver_sql(
            f"SELECT {', '.join(columns)}, {types} FROM {table} ORDER BY rowid"
        ).fetchall()
        conn.rollback()
    return [tuple(r) for r in rows]


_times = st.builds(
    lambda at, hours: at.astimezone(timezone(timedelta(hours=hours))), instants, st.integers(-5, 5)
)
_transactions = st.builds(
    lambda key, customer, at, amount, currency, channel, product: Transaction(
        id=TransactionId(key),
        customer=ContactId(customer),
        occurred_at=at,
        amount=Money(amount, currency),
        external_id=f"x-{key.hex[:8]}",
        channel=channel,
        product=product,
    ),
    st.uuids(),
    st.uuids(),
    _times,
    amounts | st.sampled_from([Decimal("0"), Decimal("1E+3"), Decimal("-0.00")]),
    st.sampled_from(["RUB", "USD"]),
    st.none() | st.text(max_size=5),
    st.none() | st.text(max_size=5),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_transactions, max_size=5, unique_by=lambda x: x.external_id))
def test_transactions_are_stored_as_insert_many_stores_them(
    engine: Engine, transactions: list[Transaction]
) -> None:
    def general(conn: Connection) -> None:
        rows = [transaction_row(x, created_at=AT) for x in transactions]
        SqlSession(conn).insert_many(t.transactions, rows)

    def fast(conn: Connection) -> None:
        repo = SqlTransactionRepository(SqlSession(conn), FixedClock(AT))
        assert repo.add_many(transactions + transactions[:1]) == len(transactions)

    assert _stored(engine, "transactions", fast) == _stored(engine, "transactions", general)
