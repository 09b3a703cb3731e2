"""RFM and segment-rebuild benchmark (issue 6).

Generates 1,000,000 customers / 5,000,000 transactions deterministically (NumPy, seed 6),
stores them in a SQLite file with a covering index ``(contact_id, occurred_at, amount)``,
builds the per-customer summary ``customer_rfm`` as migration ``0007_customer_rfm`` does
(one ``INSERT ... SELECT ... GROUP BY``; the triggers keep it afterwards), then times, in
the same run and on the same data:

* RFM through the library: :func:`crmcore.adapters.sql.rfm_sql.rfm_segment_counts` with
  the summary (what the repository runs when no transaction is after ``as_of``: one pass
  over 1M summary rows) and without it (the grouped query over 5M transactions, used for
  an earlier ``as_of``);
* the same call at an earlier ``as_of`` (a pass over the summary finds later
  transactions, then the grouped query runs);
* the plain sqlite3 GROUP BY over the covering index (the reference "best plain plan");
* the same classification in DuckDB over the same arrays held in memory;
* a segment rebuild: a JSON filter compiled by
  :func:`crmcore.adapters.sql.filters_sql.compile_filter` counting members over 1M contacts.

Run: ``PYTHONPATH=src python bench/rfm.py [--customers N] [--transactions M] [--db PATH]``.
Needs ``duckdb`` (the ``bench`` extra). Timings are medians of 3 runs, wall clock.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    func,
    select,
)

from crmcore.adapters.sql.filters_sql import compile_filter
from crmcore.adapters.sql.rfm_sql import rebuild_summary, rfm_segment_counts
from crmcore.adapters.sql.types import AmountSum
from crmcore.domain.filters import parse_filter
from crmcore.domain.rfm import DRIFT_DAYS, RECENT_DAYS, cutoff, recent_since

AS_OF = date(2026, 3, 31)
#: An earlier day: transactions after it exist, so RFM needs the grouped query.
HISTORICAL = date(2026, 3, 1)
metadata = MetaData()
transactions = Table(
    "transactions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", Integer, nullable=False),
    Column("occurred_at", DateTime(), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Index("transactions_rfm", "contact_id", "occurred_at", "amount"),
)
#: As ``tables.customer_rfm`` (a WITHOUT ROWID table; the sum in ten-thousandths).
summary = Table(
    "customer_rfm",
    metadata,
    Column("contact_id", Integer, primary_key=True),
    Column("frequency", Integer, nullable=False),
    Column("first_at", DateTime(), nullable=False),
    Column("last_at", DateTime(), nullable=False),
    Column("monetary", AmountSum(), nullable=False),
    sqlite_with_rowid=False,
)
contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lifecycle", String(20), nullable=False),
    Column("region", String(20)),
    Column("created_at", DateTime(), nullable=False),
)
FILTER = {
    "and": [
        {"field": "contact.lifecycle", "op": "in", "value": ["customer", "advocate"]},
        {"field": "account.region", "op": "eq", "value": "EU"},
        {"field": "contact.created_at", "op": "between", "value": "last 90 days"},
    ]
}


def generate(customers: int, n: int) -> dict[str, np.ndarray[Any, Any]]:
    """Every customer has a transaction; the rest are spread with a skew (seed 6). The
    400 days end with :data:`AS_OF` (the report of the day: nothing is later)."""
    rng = np.random.default_rng(6)
    extra = rng.zipf(1.3, n - customers) % customers
    contact = np.concatenate([np.arange(customers), extra]).astype(np.int64)
    end = np.datetime64(datetime(2026, 4, 1), "s")
    seconds = rng.integers(1, 400 * 86400 + 1, n)
    occurred = end - seconds.astype("timedelta64[s]")
    cents = rng.integers(100, 50_000, n)
    return {"contact_id": contact, "occurred_at": occurred, "cents": cents}


def store(path: Path, data: dict[str, np.ndarray[Any, Any]], customers: int) -> None:
    """Write both tables with plain sqlite3 (batches of 100k), in SQLAlchemy's text format."""
    engine = create_engine(f"sqlite:///{path}")
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("DROP INDEX transactions_rfm")
    stamps = np.datetime_as_string(data["occurred_at"], unit="us")
    step = 100_000
    for start in range(0, len(stamps), step):
        stop = start + step
        rows = zip(
            range(start + 1, stop + 1),
            data["contact_id"][start:stop].tolist(),
            (s.replace("T", " ") for s in stamps[start:stop]),
            (c / 100 for c in data["cents"][start:stop].tolist()),
            strict=False,
        )
        con.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?)", rows)
    con.execute("CREATE INDEX transactions_rfm ON transactions (contact_id, occurred_at, amount)")
    rng = np.random.default_rng(7)
    stages = np.array(["lead", "prospect", "customer", "advocate"])[rng.integers(0, 4, customers)]
    regions = np.array(["EU", "US", "APAC", ""])[rng.integers(0, 4, customers)]
    created = np.datetime_as_string(
        np.datetime64(datetime(2026, 3, 31), "s")
        - rng.integers(0, 730 * 86400, customers).astype("timedelta64[s]"),
        unit="us",
    )
    for start in range(0, customers, step):
        con.executemany(
            "INSERT INTO contacts VALUES (?, ?, ?, ?)",
            (
                (i, stages[i], regions[i] or None, created[i].replace("T", " "))
                for i in range(start, min(start + step, customers))
            ),
        )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def median_time(fn: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def duckdb_rfm(data: dict[str, np.ndarray[Any, Any]]) -> Callable[[], dict[str, int]]:
    import duckdb

    con = duckdb.connect()
    frame = {
        "contact_id": data["contact_id"],
        "occurred_at": data["occurred_at"].astype("datetime64[us]"),
        "amount": data["cents"] / 100,
    }
    con.register("tx", frame)
    naive = {
        "end": cutoff(AS_OF).replace(tzinfo=None),
        "r30": recent_since(AS_OF, RECENT_DAYS).replace(tzinfo=None),
        "r60": recent_since(AS_OF, DRIFT_DAYS).replace(tzinfo=None),
    }
    query = """
        SELECT segment, count(*) FROM (
          SELECT CASE
            WHEN f >= 10 AND l >= $r30 THEN 'vip'
            WHEN f >= 3 AND l >= $r30 THEN 'loyal'
            WHEN f >= 3 AND l >= $r60 THEN 'at_risk'
            WHEN f >= 3 THEN 'lost'
            WHEN f = 1 AND l >= $r30 THEN 'newbie'
            WHEN l >= $r30 THEN 'promising'
            WHEN l >= $r60 THEN 'drifting'
            ELSE 'sleeping' END AS segment
          FROM (SELECT contact_id, count(*) AS f, max(occurred_at) AS l, sum(amount) AS m
                FROM tx WHERE occurred_at < $end GROUP BY contact_id))
        GROUP BY segment"""

    def run() -> dict[str, int]:
        return {s: int(c) for s, c in con.execute(query, naive).fetchall()}

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temp file)")
    args = parser.parse_args()
    workdir = tempfile.TemporaryDirectory()
    path = args.db or Path(workdir.name) / "rfm.db"
    t0 = time.perf_counter()
    data = generate(args.customers, args.transactions)
    store(path, data, args.customers)
    took = time.perf_counter() - t0
    print(f"generated and stored {args.transactions:,} transactions in {took:.1f} s")

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        t0 = time.perf_counter()
        rebuild_summary(conn, transactions, summary)
        backfill_s = time.perf_counter() - t0
    with engine.connect() as conn:
        sum_s, sum_counts = median_time(
            lambda: rfm_segment_counts(conn, transactions, as_of=AS_OF, summary=summary)
        )
        lib_s, lib_counts = median_time(lambda: rfm_segment_counts(conn, transactions, as_of=AS_OF))
        hist_s, hist_counts = median_time(
            lambda: rfm_segment_counts(conn, transactions, as_of=HISTORICAL, summary=summary)
        )
        hist_grouped = rfm_segment_counts(conn, transactions, as_of=HISTORICAL)
        node = parse_filter(FILTER).unwrap()
        now = datetime(2026, 3, 31, 12, tzinfo=UTC)
        columns = {
            "contact.lifecycle": contacts.c.lifecycle,
            "account.region": contacts.c.region,
            "contact.created_at": contacts.c.created_at,
        }
        where = compile_filter(node, columns, now=now)
        seg_s, members = median_time(
            lambda: conn.execute(select(func.count()).select_from(contacts).where(where)).scalar()
        )
    raw = sqlite3.connect(path)
    plain = (
        "SELECT contact_id, count(*), max(occurred_at), sum(amount) FROM transactions "
        "GROUP BY contact_id"
    )
    raw_s, _ = median_time(lambda: raw.execute(plain).fetchall())
    raw.close()
    duck_s, duck_counts = median_time(duckdb_rfm(data))
    counts = {s.value: n for s, n in lib_counts.items()}  # type: ignore[attr-defined]
    agree = counts == {s: duck_counts.get(s, 0) for s in counts}  # type: ignore[attr-defined]
    same = sum_counts == lib_counts and hist_counts == hist_grouped
    print(
        f"summary backfill (INSERT ... SELECT ... GROUP BY, as the migration): {backfill_s:.2f} s"
    )
    print(f"RFM via crmcore on SQLite, summary customer_rfm:  {sum_s:.2f} s")
    print(f"RFM via crmcore on SQLite, grouped query (covering index): {lib_s:.2f} s")
    print(f"RFM via crmcore at {HISTORICAL} (summary pass, then grouped): {hist_s:.2f} s")
    print(f"plain sqlite3 GROUP BY, covering index (aggregates only, rows fetched): {raw_s:.2f} s")
    print(f"RFM in DuckDB (same arrays, in memory):     {duck_s:.2f} s")
    print(
        f"ratio summary/DuckDB: {sum_s / duck_s:.1f}x, grouped/DuckDB: {lib_s / duck_s:.1f}x; "
        f"same counts: summary=grouped (both days) {same}, grouped=DuckDB {agree}"
    )
    print(f"segment rebuild over {args.customers:,} contacts: {seg_s:.2f} s ({members:,} members)")
    print("segments:", counts)


if __name__ == "__main__":
    main()
