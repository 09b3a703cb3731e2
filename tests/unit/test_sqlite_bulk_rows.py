"""The SQLite bulk writers store exactly the rows the general ``SqlSession`` paths store
(raw values and their SQLite types, read back without any conversion)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine, insert

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.intelligence import SqlTransactionRepository, transaction_row
from crmcore.adapters.sql.mapping import contact_row
from crmcore.adapters.sql.repositories import SqlContactRepository
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.system import FixedClock
from crmcore.domain.contact import Contact
from crmcore.domain.events import DomainEvent, registered_events
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.ports.errors import DuplicateKey
from tests.strategies import amounts, contact_entities, instants

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


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_transactions, max_size=5, unique_by=lambda x: x.external_id), st.booleans())
def test_the_sessions_bulk_insert_stores_what_sqlalchemys_insert_stores(
    engine: Engine, transactions: list[Transaction], shared: bool
) -> None:
    # a column holding one object throughout (the batch's time) is converted once
    at = transactions[0].occurred_at if shared and transactions else AT
    rows = [
        {**transaction_row(x, created_at=at), **({"occurred_at": at} if shared else {})}
        for x in transactions
    ]

    def sqlalchemy(conn: Connection) -> None:
        if rows:
            conn.execute(insert(t.transactions), rows)

    def session(conn: Connection) -> None:
        SqlSession(conn).insert_rows(t.transactions, rows)

    assert _stored(engine, "transactions", session) == _stored(engine, "transactions", sqlalchemy)


_CHANGEABLE = ("name", "email", "phone", "lifecycle", "attributes", "archived", "updated_at")


@st.composite
def _saved_contacts(draw: st.DrawFn) -> tuple[list[Contact], list[Contact]]:
    """Stored contacts (at version 1) and each one with some fields of another."""
    stored = draw(st.lists(contact_entities(), max_size=4, unique_by=lambda c: c.id))
    stored = [attrs.evolve(c, version=1) for c in stored]
    changed = []
    for contact in stored:
        other = draw(contact_entities())
        fields = draw(st.sets(st.sampled_from(_CHANGEABLE)))
        changed.append(attrs.evolve(contact, **{f: getattr(other, f) for f in fields}))
    return stored, changed


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(_saved_contacts())
def test_contacts_are_saved_as_update_entity_saves_them(
    engine: Engine, contacts: tuple[list[Contact], list[Contact]]
) -> None:
    stored, changed = contacts

    def general(conn: Connection) -> None:
        SqlSession(conn).insert_many(t.contacts, [contact_row(c) for c in stored])
        session = SqlSession(conn)  # the stored rows as read by another unit of work
        for contact in changed:
            session.update_entity(t.contacts, contact_row(contact), contact.version)

    def fast(conn: Connection) -> None:
        SqlSession(conn).insert_many(t.contacts, [contact_row(c) for c in stored])
        SqlContactRepository(SqlSession(conn)).save_many(changed)

    try:
        expected = _stored(engine, "contacts", general)
    except DuplicateKey:  # two contacts with one e-mail or user id
        with pytest.raises(DuplicateKey):
            _stored(engine, "contacts", fast)
        return
    assert _stored(engine, "contacts", fast) == expected


def _events() -> st.SearchStrategy[DomainEvent]:
    import crmcore.app.bootstrap  # noqa: F401  (every module with events is imported)

    classes = sorted(registered_events().values(), key=lambda c: c.TYPE)
    return st.one_of([st.from_type(c) for c in classes])
