"""The per-customer summary ``customer_rfm`` stays equal to a recomputation from
``transactions`` whatever writes them (SQLite and PostgreSQL triggers, ADR 0011)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, select, update

from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.event_processing import SqlEventUnitOfWork
from crmcore.adapters.sql.rfm_sql import rfm_rows, summary_covers
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.context import App, Settings
from crmcore.app.privacy import erase_person
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.transaction import Transaction, TransactionId
from tests.conftest import T0
from tests.contract.conftest import Backend
from tests.contract.helpers import contact
from tests.databases import copy_sqlite, truncate_all

Summary = dict[Any, tuple[int, datetime, datetime, Decimal]]


@pytest.fixture(params=["sqlite", "postgres"])
def sql_backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Backend]:
    """An empty migrated SQL store (the summary exists only there)."""
    clock, ids = FixedClock(T0), SequentialIds(seed=11)
    if request.param == "sqlite":
        engine = make_engine(copy_sqlite(sqlite_template, tmp_path / "crm.db"))
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
    yield Backend(
        request.param, lambda: SqlEventUnitOfWork(engine, clock=clock, ids=ids), clock, ids, engine
    )
    if request.param == "sqlite":
        engine.dispose()


def summary(conn: Connection) -> Summary:
    """The summary as stored."""
    r = t.customer_rfm.c
    rows = conn.execute(select(r.contact_id, r.frequency, r.first_at, r.last_at, r.monetary))
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def recomputed(conn: Connection) -> Summary:
    """The summary computed in Python from every stored transaction."""
    x = t.transactions.c
    out: dict[Any, tuple[int, datetime, datetime, Decimal]] = {}
    for customer, at, amount in conn.execute(select(x.contact_id, x.occurred_at, x.amount)):
        n, first, last, total = out.get(customer, (0, at, at, Decimal(0)))
        out[customer] = (n + 1, min(first, at), max(last, at), total + amount)
    return out


def purchase(b: Backend, customer: ContactId, at: datetime, amount: Decimal) -> Transaction:
    key = b.ids.new()
    return Transaction(
        id=TransactionId(key),
        customer=customer,
        occurred_at=at,
        amount=Money(amount, "EUR"),
        external_id=f"x-{key}",
    )


#: A write: insert / delete one / move one to another customer / change its time and
#: amount / delete a customer's transactions / merge a customer into another, in one
#: statement each.
operations = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 3), st.integers(-2, 90), st.integers(-500, 9999)),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, 3)),
    st.tuples(st.just("change"), st.integers(0, 99), st.integers(-2, 90), st.integers(-500, 9999)),
    st.tuples(st.just("delete_customer"), st.integers(0, 3)),
    st.tuples(st.just("merge"), st.integers(0, 3), st.integers(0, 3)),
)


def _apply(b: Backend, uow: SqlUnitOfWork, people: list[ContactId], op: tuple[Any, ...]) -> None:
    x = t.transactions.c
    conn = uow.session.conn
    ids = [row[0] for row in conn.execute(select(x.id).order_by(x.id))]
    kind = op[0]
    if kind == "insert":
        at = T0 - timedelta(days=op[2], seconds=op[3] % 86400)
        uow.transactions.add(purchase(b, people[op[1]], at, Decimal(op[3]) / 100))
    elif kind == "delete_customer":
        conn.execute(delete(t.transactions).where(x.contact_id == people[op[1]]))
    elif kind == "merge":
        conn.execute(
            update(t.transactions)
            .where(x.contact_id == people[op[1]])
            .values(contact_id=people[op[2]])
        )
    elif not ids:
        return
    elif kind == "delete":
        conn.execute(delete(t.transactions).where(x.id == ids[op[1] % len(ids)]))
    elif kind == "move":
        one = x.id == ids[op[1] % len(ids)]
        conn.execute(update(t.transactions).where(one).values(contact_id=people[op[2]]))
    else:
        one = x.id == ids[op[1] % len(ids)]
        at = T0 - timedelta(days=op[2], seconds=op[3] % 86400)
        conn.execute(
            update(t.transactions).where(one).values(occurred_at=at, amount=Decimal(op[3]) / 10)
        )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.lists(
        st.tuples(st.integers(0, 3), st.integers(-2, 90), st.integers(-500, 9999)), max_size=25
    ),
    ops=st.lists(operations, max_size=12),
)
@example(  # a customer emptied by deletes, then bought again; a merge onto itself
    start=[(0, 1, 100), (0, 2, 200), (1, 3, 5)],
    ops=[("delete", 0), ("delete", 0), ("insert", 0, 0, 7), ("merge", 1, 1), ("merge", 1, 0)],
)
def test_the_summary_equals_a_recomputation_after_every_write(
    sql_backend: Backend,
    start: list[tuple[int, int, int]],
    ops: list[tuple[Any, ...]],
) -> None:
    b = sql_backend
    people = [contact(b, user_id=f"p{i}") for i in range(4)]
    with b.uow() as uow:  # never committed: every example starts empty
        assert isinstance(uow, SqlUnitOfWork)
        for person in people:
            uow.contacts.add(person)
        bought = [
            purchase(b, people[c].id, T0 - timedelta(days=d, seconds=s % 86400), Decimal(s) / 100)
            for c, d, s in start
        ]
        uow.transactions.add_many(bought)  # the bulk path
        conn = uow.session.conn
        assert summary(conn) == recomputed(conn)
        for op in ops:
            _apply(b, uow, [p.id for p in people], op)
            assert summary(conn) == recomputed(conn), op


def test_a_customer_left_without_transactions_leaves_the_summary(sql_backend: Backend) -> None:
    b = sql_backend
    ann, bob = contact(b, user_id="ann"), contact(b, user_id="bob")
    with b.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        uow.contacts.add(ann)
        uow.contacts.add(bob)
        uow.transactions.add_many(
            [
                purchase(b, ann.id, T0 - timedelta(days=3), Decimal("10.50")),
                purchase(b, ann.id, T0, Decimal("0.01")),
                purchase(b, bob.id, T0 - timedelta(days=1), Decimal("-2")),
            ]
        )
        uow.commit()
    with b.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        conn = uow.session.conn
        assert summary(conn) == {
            ann.id: (2, T0 - timedelta(days=3), T0, Decimal("10.51")),
            bob.id: (1, T0 - timedelta(days=1), T0 - timedelta(days=1), Decimal("-2")),
        }
        x = t.transactions.c
        conn.execute(update(t.transactions).where(x.contact_id == bob.id).values(contact_id=ann.id))
        assert summary(conn) == {ann.id: (3, T0 - timedelta(days=3), T0, Decimal("8.51"))}
        conn.execute(delete(t.transactions))
        assert summary(conn) == {}
        uow.commit()


def test_erasing_a_person_keeps_their_aggregates(sql_backend: Backend) -> None:
    b = sql_backend
    eve = contact(b, email="eve@example.com", user_id="eve")
    with b.uow() as uow:
        uow.contacts.add(eve)
        uow.transactions.add_many(
            [purchase(b, eve.id, T0 - timedelta(days=i), Decimal("19.99")) for i in range(3)]
        )
        uow.commit()
    app = App(
        uow=b.uow,
        clock=b.clock,
        ids=b.ids,
        publisher=MemoryPublisher(),
        settings=Settings(db_url=f"(contract test: {b.name})"),
    )
    assert erase_person(app, email="eve@example.com").unwrap().contacts == 1
    with b.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        conn = uow.session.conn
        assert summary(conn) == recomputed(conn)
        assert summary(conn)[eve.id] == (3, T0 - timedelta(days=2), T0, Decimal("59.97"))


def test_the_summary_keeps_instants_in_utc(sql_backend: Backend) -> None:
    b = sql_backend
    ann = contact(b, user_id="ann")
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    with b.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        uow.contacts.add(ann)
        uow.transactions.add(purchase(b, ann.id, late, Decimal("1")))
        [(_, first, last, _)] = list(summary(uow.session.conn).values())
        assert first == last == late
        assert last.tzinfo is not None


def test_a_long_history_sums_exactly_on_both_paths(sql_backend: Backend) -> None:
    """600 purchases: a running float sum would drift from the grouped one by now."""
    b = sql_backend
    ann = contact(b, user_id="ann")
    amounts = [Decimal(f"{(i * 7919) % 50000 / 100:.2f}") for i in range(600)]
    bought = [
        purchase(b, ann.id, T0 - timedelta(hours=i), amount) for i, amount in enumerate(amounts)
    ]
    with b.uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        uow.contacts.add(ann)
        for start in range(0, len(bought), 50):  # many statements: the running sum
            uow.transactions.add_many(bought[start : start + 50])
        conn = uow.session.conn
        assert summary(conn)[ann.id][3] == sum(amounts, Decimal(0))
        day = T0.date()
        assert summary_covers(conn, t.customer_rfm, as_of=day)
        (from_summary,) = rfm_rows(conn, t.transactions, as_of=day, summary=t.customer_rfm)
        (grouped,) = rfm_rows(conn, t.transactions, as_of=day)
        assert from_summary == grouped
        assert grouped.monetary == sum(amounts, Decimal(0))
