"""Bulk contact import through the library vs raw ``executemany`` (issue 4 benchmark).

    PYTHONPATH=src python -m bench.storage --rows 1000000 --pg-rows 100000

SQLite: N synthetic, already-validated ``Contact`` entities stored through
``ContactRepository.upsert_many`` (one unit of work per chunk: the existence lookup per
batch, the row mapping, the batched insert, the commit) against the driver's raw
``executemany`` of the same rows (pre-converted tuples) into the same schema, on two
copies of one migrated SQLite file. Ids are time-ordered (UUIDv7). PostgreSQL: the same
with psycopg 3 ``executemany`` as the raw side. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.mapping import contact_row
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone

CHUNK = 50_000
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FIRST = ["Anna", "Boris", "Chen", "Dana", "Emil", "Fatima", "Gleb", "Hana", "Ivan", "Jules"]
LAST = ["Ivanova", "Smith", "Garcia", "Kim", "Novak", "Rossi", "Sato", "Weber", "Young", "Zed"]


def contacts(n: int, *, seed: int = 1) -> Iterator[list[Contact]]:
    """Chunks of synthetic contacts (valid by construction, as after validation)."""
    ids = SequentialIds(seed=seed)
    chunk: list[Contact] = []
    for i in range(n):
        chunk.append(
            Contact(
                id=ContactId(ids.new()),
                name=PersonName(FIRST[i % 10], LAST[(i // 10) % 10]),
                email=Email(f"user{i}.{seed}@example.com"),
                phone=Phone(f"+7900{i % 10_000_000:07d}") if i % 3 == 0 else None,
                user_id=f"u-{seed}-{i}" if i % 2 == 0 else None,
                lifecycle=LifecycleStage.CUSTOMER,
                attributes={"city": "Moscow"} if i % 5 == 0 else {},
                created_at=T0,
                updated_at=T0,
            )
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def library_load(url: str, chunks: Sequence[list[Contact]]) -> float:
    engine = make_engine(url)
    clock, ids = FixedClock(T0), SequentialIds(seed=99)

    def run() -> None:
        for chunk in chunks:
            with SqlUnitOfWork(engine, clock=clock, ids=ids) as uow:
                uow.contacts.upsert_many(chunk)
                uow.commit()

    seconds = timed(run)
    engine.dispose()
    return seconds


def raw_rows(url: str, chunks: Sequence[list[Contact]]) -> tuple[str, list[list[tuple[Any, ...]]]]:
    """The INSERT and the driver-ready tuples of the same rows (conversion not timed)."""
    engine = make_engine(url)
    dialect = engine.dialect
    names = [*contact_row(chunks[0][0]), "version"]
    procs = [t.contacts.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    mark = "?" if dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO contacts ({', '.join(names)}) VALUES ({', '.join(mark for _ in names)})"
    out = []
    for chunk in chunks:
        rows = []
        for c in chunk:
            values = [*contact_row(c).values(), 1]
            rows.append(
                tuple(
                    p(v) if p is not None and v is not None else v
                    for p, v in zip(procs, values, strict=True)
                )
            )
        out.append(rows)
    engine.dispose()
    return sql, out


def raw_sqlite(path: Path, sql: str, batches: list[list[tuple[Any, ...]]]) -> float:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "synchronous=NORMAL",
        "cache_size=-65536",
    ):
        conn.execute(f"PRAGMA {pragma}")

    def run() -> None:
        for rows in batches:
            conn.execute("BEGIN")
            for start in range(0, len(rows), 5000):
                conn.executemany(sql, rows[start : start + 5000])
            conn.execute("COMMIT")

    seconds = timed(run)
    conn.close()
    return seconds


def raw_postgres(url: str, sql: str, batches: list[list[tuple[Any, ...]]]) -> float:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    fixed = batches  # SQLAlchemy's bind processors already wrapped JSON values for psycopg
    with psycopg.connect(dsn) as conn:

        def run() -> None:
            for rows in fixed:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(sql, rows)

        return timed(run)


def count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.exec_driver_sql("SELECT count(*) FROM contacts").scalar() or 0)
    engine.dispose()
    return n


def report(label: str, rows: int, lib: float, raw: float) -> str:
    return (
        f"| {label} | {rows:,} | {lib:.1f} | {rows / lib:,.0f} | {raw:.1f} | {rows / raw:,.0f} "
        f"| {lib / raw:.2f}× |"
    )


def bench_sqlite(rows: int) -> str:
    chunks = list(contacts(rows))
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        template = Path(tmp) / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        migrate.upgrade(engine)
        engine.dispose()
        lib_path, raw_path = Path(tmp) / "lib.db", Path(tmp) / "raw.db"
        shutil.copyfile(template, lib_path)
        shutil.copyfile(template, raw_path)
        lib = library_load(f"sqlite:///{lib_path}", chunks)
        sql, batches = raw_rows(f"sqlite:///{raw_path}", chunks)
        raw = raw_sqlite(raw_path, sql, batches)
        assert count(f"sqlite:///{lib_path}") == rows == count(f"sqlite:///{raw_path}")
    return report("SQLite (WAL, synchronous=NORMAL)", rows, lib, raw)


def bench_postgres(rows: int, base_url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    chunks = list(contacts(rows, seed=2))
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    names = [f"crmcore_bench_{os.getpid()}_{k}" for k in ("lib", "raw")]
    urls = [make_url(base_url).set(database=n).render_as_string(hide_password=False) for n in names]
    try:
        with admin.connect() as conn:
            for n in names:
                conn.execute(text(f'CREATE DATABASE "{n}"'))
        for u in urls:
            engine = make_engine(u)
            migrate.upgrade(engine)
            engine.dispose()
        lib = library_load(urls[0], chunks)
        sql, batches = raw_rows(urls[1], chunks)
        raw = raw_postgres(urls[1], sql, batches)
        assert count(urls[0]) == rows == count(urls[1])
    finally:
        with admin.connect() as conn:
            for n in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        admin.dispose()
    return report("PostgreSQL 15 (psycopg 3)", rows, lib, raw)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    print("| backend | rows | library s | library rows/s | raw s | raw rows/s | library / raw |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(bench_sqlite(args.rows), flush=True)
    if args.pg_rows:
        print(bench_postgres(args.pg_rows, args.pg_url), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
