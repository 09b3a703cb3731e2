"""Cohort retention benchmark (issue 19): SQLite through crmcore vs DuckDB, same rows.

Generates ``--transactions`` purchases (default 5,000,000) of ``--customers`` customers
(default 500,000) over 24 months deterministically (NumPy, seed 19): every customer has a
first purchase in a random month, later purchases are spread over the months after it
with a decaying chance. The rows go into crmcore's own ``transactions`` table in a
SQLite file (its covering index ``(contact_id, occurred_at, amount)`` built after the
load), and the same arrays are registered in an in-memory DuckDB. Then, in the same run:

* **SQLite via crmcore** — ``SqlAnalytics.cohort_sizes`` + ``cohort_cells`` by first
  purchase (a grouped subquery for the first purchase, joined back, grouped by cohort and
  month with exact sums), what ``crm report cohorts`` runs;
* **DuckDB** — the same query written in DuckDB's SQL over the same rows.

Both must give the same matrix. Run:
``PYTHONPATH=src python bench/cohorts.py [--transactions N] [--customers C] [--db PATH]``.
Needs ``duckdb`` (the ``bench`` extra). Timings: best of ``--repeat``, wall clock.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.analytics import SqlAnalytics
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.cohorts import CohortBy, cohort_rows

START = np.datetime64(datetime(2024, 1, 1), "s")
MONTHS = 24


def generate(customers: int, n: int, seed: int = 19) -> dict[str, np.ndarray[Any, Any]]:
    """Columns of ``n`` purchases: contact index, instant, amount in cents."""
    rng = np.random.default_rng(seed)
    first_month = rng.integers(0, MONTHS, customers)
    first = START + (first_month * 30 * 86400 + rng.integers(0, 28 * 86400, customers)).astype(
        "timedelta64[s]"
    )
    extra = rng.integers(0, customers, n - customers)
    # later purchases: a geometric number of months after the first one
    gap = np.minimum(rng.geometric(0.25, n - customers) - 1, MONTHS)
    later = first[extra] + (gap * 30 * 86400 + rng.integers(0, 86400, n - customers)).astype(
        "timedelta64[s]"
    )
    return {
        "contact": np.concatenate([np.arange(customers), extra]),
        "at": np.concatenate([first, later]),
        "cents": rng.integers(100, 50_000, n),
    }


def store(path: Path, data: dict[str, np.ndarray[Any, Any]]) -> None:
    """crmcore's ``transactions`` table, loaded with plain sqlite3 in SQLAlchemy's formats
    (Uuid as 32 hex digits, instants as naive UTC text, amounts as decimal text)."""
    engine = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine, tables=[t.transactions])
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("DROP INDEX ix_transactions_rfm")
    stamps = np.datetime_as_string(data["at"], unit="us")
    step = 200_000
    for begin in range(0, len(stamps), step):
        end = begin + step
        contacts = data["contact"][begin:end].tolist()
        rows = zip(
            (f"{i:032x}" for i in range(begin + 1, end + 1)),
            (f"{c + 1:032x}" for c in contacts),
            (s.replace("T", " ") for s in stamps[begin:end]),
            (f"{c / 100:.2f}" for c in data["cents"][begin:end].tolist()),
            strict=False,
        )
        con.executemany(
            "INSERT INTO transactions (id, contact_id, occurred_at, amount, currency, "
            "created_at) VALUES (?, ?, ?, ?, 'USD', '2026-01-01 00:00:00.000000')",
            rows,
        )
        con.commit()
    con.execute(
        "CREATE INDEX ix_transactions_rfm ON transactions (contact_id, occurred_at, amount)"
    )
    con.commit()
    con.close()


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - began)
    return min(times), result


def sqlite_matrix(path: Path) -> Callable[[], Any]:
    engine = create_engine(f"sqlite:///{path}")

    def run() -> Any:
        with engine.connect() as conn:
            q = SqlAnalytics(SqlSession(conn))
            sizes = q.cohort_sizes(CohortBy.FIRST_PURCHASE, since=None, until=None)
            cells = q.cohort_cells(CohortBy.FIRST_PURCHASE, since=None, until=None)
        return sizes, cells

    return run


def duckdb_matrix(data: dict[str, np.ndarray[Any, Any]]) -> Callable[[], Any]:
    import duckdb

    con = duckdb.connect()
    con.register(
        "tx",
        {
            "contact_id": data["contact"],
            "occurred_at": data["at"].astype("datetime64[us]"),
            "amount": data["cents"].astype(np.int64),
        },
    )
    query = """
        WITH first AS (
            SELECT contact_id, min(occurred_at) AS began FROM tx GROUP BY contact_id
        )
        SELECT strftime(first.began, '%Y-%m') AS cohort,
               strftime(tx.occurred_at, '%Y-%m') AS period,
               count(DISTINCT tx.contact_id) AS customers,
               sum(tx.amount) AS cents
        FROM tx JOIN first USING (contact_id)
        GROUP BY 1, 2 ORDER BY 1, 2
    """
    sizes = """
        SELECT strftime(began, '%Y-%m') AS cohort, count(*) FROM (
            SELECT contact_id, min(occurred_at) AS began FROM tx GROUP BY contact_id
        ) GROUP BY 1 ORDER BY 1
    """

    def run() -> Any:
        return con.execute(sizes).fetchall(), con.execute(query).fetchall()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="reuse (or keep) this file")
    args = parser.parse_args()
    began = time.perf_counter()
    data = generate(args.customers, args.transactions)
    print(f"generated {args.transactions:,} rows in {time.perf_counter() - began:.1f} s")
    folder = tempfile.mkdtemp(prefix="cohorts-")
    path = args.db or Path(folder) / "cohorts.db"
    if not path.exists():
        began = time.perf_counter()
        store(path, data)
        size = path.stat().st_size / 1e6
        print(f"loaded SQLite ({size:.0f} MB) in {time.perf_counter() - began:.1f} s")
    lite_t, (sizes, cells) = best(args.repeat, sqlite_matrix(path))
    duck_t, (duck_sizes, duck_cells) = best(args.repeat, duckdb_matrix(data))
    same = [(s.cohort, s.customers) for s in sizes] == [(c, n) for c, n in duck_sizes] and [
        (c.cohort, c.period, c.customers, int(c.revenue * 100)) for c in cells
    ] == [(c, p, n, int(v)) for c, p, n, v in duck_cells]
    rows = cohort_rows(sizes, cells)
    print(f"cohorts: {len(rows)}, cells: {len(cells)}, same matrix in both: {same}")
    print(f"retention matrix, SQLite via crmcore (SqlAnalytics): {lite_t:8.2f} s")
    print(f"retention matrix, DuckDB, same rows in memory:       {duck_t:8.2f} s")


if __name__ == "__main__":
    main()
