"""What the ``customer_rfm`` triggers cost the transaction bulk path (ADR 0011).

    PYTHONPATH=src:. python bench/transaction_writes.py --rows 200000 [--pg-rows 100000]

Stores N synthetic transactions of 20,000 customers through
``TransactionRepository.add_many`` (what ``crm import transactions`` calls per batch: the
``external_id`` lookup, then the batched insert; one unit of work per 5,000 rows) into a
database migrated to ``0006_clv`` (no summary, no trigger) and into one at the head (the
triggers upsert each customer's summary row), and reports rows/s of each. SQLite runs on
two fresh files, PostgreSQL on two fresh databases. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from tests.databases import fresh_postgres

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.contact import Contact
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.transaction import Transaction, TransactionId

CUSTOMERS = 20_000
BATCH = 5_000
T0 = datetime(2026, 3, 31, 12, tzinfo=UTC)


def batches(n: int, people: list[ContactId]) -> Iterator[list[Transaction]]:
    """Deterministic transactions (ids and amounts from the index), ``BATCH`` at a time."""
    ids = SequentialIds(seed=9)
    batch: list[Transaction] = []
    for i in range(n):
        key = ids.new()
        batch.append(
            Transaction(
                id=TransactionId(key),
                customer=people[(i * 7919) % len(people)],
                occurred_at=T0 - timedelta(minutes=(i * 104_729) % 576_000),
                amount=Money(Decimal((i * 31) % 50_000 + 100) / 100, "EUR"),
                external_id=f"w{i}",
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def rate(engine: Engine, revision: str, n: int) -> float:
    """Rows/s of ``add_many`` into a database at ``revision``."""
    migrate.upgrade(engine, revision)
    clock, ids = FixedClock(T0), SequentialIds(seed=5)
    people = [ContactId(ids.new()) for _ in range(CUSTOMERS)]
    with SqlUnitOfWork(engine, clock=clock, ids=ids) as uow:
        for person in people:
            uow.contacts.add(
                Contact(id=person, name=PersonName("C", ""), created_at=T0, updated_at=T0)
            )
        uow.commit()
    t0 = time.perf_counter()
    for batch in batches(n, people):
        with SqlUnitOfWork(engine, clock=clock, ids=ids) as uow:
            assert uow.transactions.add_many(batch) == len(batch)
            uow.commit()
    return n / (time.perf_counter() - t0)


def compare(name: str, make: Callable[[str], Engine], n: int) -> None:
    rates = {}
    for revision in ("0006_clv", migrate.head()):
        engine = make(revision)
        rates[revision] = rate(engine, revision, n)
        engine.dispose()
    before, after = rates["0006_clv"], rates[migrate.head()]
    print(
        f"{name}, {n:,} transactions: without triggers {before:,.0f} rows/s, "
        f"with triggers {after:,.0f} rows/s ({after / before:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pg-rows", type=int, default=0, help="0: skip PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        compare(
            "SQLite", lambda rev: make_engine(f"sqlite:///{Path(tmp) / f'{rev}.db'}"), args.rows
        )
    if args.pg_rows:
        base = os.environ.get("CRMCORE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1/test")
        with (
            fresh_postgres(base, prefix="bench_tx0") as a,
            fresh_postgres(base, prefix="bench_tx1") as b,
        ):
            urls = {"0006_clv": a, migrate.head(): b}
            compare("PostgreSQL", lambda rev: make_engine(urls[rev]), args.pg_rows)


if __name__ == "__main__":
    main()
