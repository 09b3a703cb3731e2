"""RFM through the SQL repository (issue 6): ``SqlUnitOfWork.transactions.rfm`` on the
library's own migrated SQLite schema (UUID keys as hex text, UTC timestamps as text,
amounts as decimal text), on the same generated data as ``bench/rfm.py``.

Times, median of 3, wall clock: ``rfm_counts`` (what ``crm segments rfm`` runs: the
grouped query and 8 rows back), ``rfm`` (one ``CustomerRfm`` per customer built in
Python, for member lists and quintiles), and the bare grouped query
(``rfm_segment_counts``: 8 rows back) on the same file.

Run: ``PYTHONPATH=src python bench/rfm_repository.py [--customers N] [--transactions M]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.rfm import AS_OF, generate, median_time
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.rfm_sql import rfm_segment_counts
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.rfm import day_start


def store(path: Path, data: dict[str, np.ndarray[Any, Any]], customers: int) -> None:
    """Migrate the file, then write contacts and transactions with plain sqlite3."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("DROP INDEX ix_transactions_rfm")
    stamp = "2026-03-31 00:00:00.000000"
    step = 100_000
    for start in range(0, customers, step):
        con.executemany(
            "INSERT INTO contacts (id, first_name, last_name, lifecycle_stage, funnel_stage,"
            " funnel_history, attributes, archived, created_at, updated_at, version)"
            " VALUES (?, 'C', '', 'customer', 'purchase', '[]', '{}', 0, ?, ?, 1)",
            ((f"{i:032x}", stamp, stamp) for i in range(start, min(start + step, customers))),
        )
    stamps = np.datetime_as_string(data["occurred_at"], unit="us")
    n = len(stamps)
    for start in range(0, n, step):
        stop = min(start + step, n)
        con.executemany(
            "INSERT INTO transactions (id, contact_id, occurred_at, amount, currency,"
            " external_id, created_at) VALUES (?, ?, ?, ?, 'EUR', ?, ?)",
            (
                (
                    f"{(1 << 100) + i:032x}",
                    f"{c:032x}",
                    s.replace("T", " "),
                    f"{m / 100:.2f}",
                    f"x{i}",
                    stamp,
                )
                for i, c, s, m in zip(
                    range(start, stop),
                    data["contact_id"][start:stop].tolist(),
                    stamps[start:stop],
                    data["cents"][start:stop].tolist(),
                    strict=True,
                )
            ),
        )
    con.execute(
        "CREATE INDEX ix_transactions_rfm ON transactions (contact_id, occurred_at, amount)"
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    args = parser.parse_args()
    workdir = tempfile.TemporaryDirectory()
    path = Path(workdir.name) / "rfm-repo.db"
    t0 = time.perf_counter()
    store(path, generate(args.customers, args.transactions), args.customers)
    print(f"stored {args.transactions:,} transactions in {time.perf_counter() - t0:.1f} s")
    engine = make_engine(f"sqlite:///{path}")
    clock = FixedClock(day_start(AS_OF))
    with SqlUnitOfWork(engine, clock=clock, ids=SequentialIds(seed=1)) as uow:
        counts_s, report = median_time(lambda: uow.transactions.rfm_counts(as_of=AS_OF))
        repo_s, rows = median_time(lambda: uow.transactions.rfm(as_of=AS_OF))
        query_s, counts = median_time(
            lambda: rfm_segment_counts(uow.session.conn, t.transactions, as_of=AS_OF)
        )
    engine.dispose()
    print(f"repository rfm_counts() (what `crm segments rfm` runs): {counts_s:.2f} s")
    print(f"  active {report.active:,}, sleeping {report.sleeping:,}")  # type: ignore[attr-defined]
    print(f"repository rfm(): {repo_s:.2f} s for {len(rows):,} customers")  # type: ignore[arg-type]
    print(f"grouped query only (rfm_segment_counts): {query_s:.2f} s")
    print("segments:", {s.value: n for s, n in counts.items()})  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
