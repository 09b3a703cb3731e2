"""RFM through the SQL repository (issue 6): ``SqlUnitOfWork.transactions`` on the
library's own migrated SQLite schema (UUID keys as hex text, UTC timestamps as text,
amounts as decimal text), on the same generated data as ``bench/rfm.py``.

The file is migrated to ``0006_clv``, loaded with plain sqlite3, then upgraded to the
head: migration ``0007_customer_rfm`` backfills the summary ``customer_rfm`` (timed) and
creates its triggers, as on a real upgrade.

Times, median of 3, wall clock: ``rfm_counts`` at the day of the newest transaction
(what ``crm segments rfm`` runs: one pass over the summary, 8 rows back), the same at an
earlier day (a pass over the summary finds later transactions, then the grouped query
runs), the bare grouped query (``rfm_segment_counts`` without the summary), a segment
rebuild on behaviour fields (``audience.members``: contacts joined to the summary), and,
once, ``rfm`` (one ``CustomerRfm`` per customer built in Python, for member lists and
quintiles). Also the rate of plain sqlite3 inserts into the indexed table before the
upgrade (no trigger) and after it (each row upserts its customer's summary), and a check
that the summary equals a recomputation.

Run: ``PYTHONPATH=src python bench/rfm_repository.py [--customers N] [--transactions M]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.rfm import AS_OF, HISTORICAL, generate, median_time
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.rfm_sql import rfm_segment_counts
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.filters import parse_filter
from crmcore.domain.rfm import day_start

STAMP = "2026-03-31 00:00:00.000000"
#: A segment on behaviour fields: repeat buyers active in the last 30 days.
BEHAVIOUR = {
    "and": [
        {"field": "behaviour.transactions", "op": "ge", "value": 3},
        {"field": "behaviour.last_transaction_at", "op": "between", "value": "last 30 days"},
    ]
}


def insert_transactions(
    con: sqlite3.Connection, data: dict[str, np.ndarray[Any, Any]], start: int, stop: int
) -> None:
    """Rows ``start:stop`` of the generated data, in batches of 100k (one commit)."""
    step = 100_000
    for first in range(start, stop, step):
        last = min(first + step, stop)
        stamps = np.datetime_as_string(data["occurred_at"][first:last], unit="us")
        con.executemany(
            "INSERT INTO transactions (id, contact_id, occurred_at, amount, currency,"
            " external_id, created_at) VALUES (?, ?, ?, ?, 'EUR', ?, ?)",
            (
                (
                    f"{(1 << 100) + i:032x}",
                    f"{c:032x}",
                    at.replace("T", " "),
                    f"{m / 100:.2f}",
                    f"x{i}",
                    STAMP,
                )
                for i, c, at, m in zip(
                    range(first, last),
                    data["contact_id"][first:last].tolist(),
                    stamps,
                    data["cents"][first:last].tolist(),
                    strict=True,
                )
            ),
        )
    con.commit()


def store(path: Path, data: dict[str, np.ndarray[Any, Any]], customers: int, bulk: int) -> None:
    """Migrate the file to the revision before the summary, then write the contacts and the
    first ``bulk`` transactions with plain sqlite3 (the covering index built afterwards)."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, "0006_clv")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("DROP INDEX ix_transactions_rfm")
    step = 100_000
    for start in range(0, customers, step):
        con.executemany(
            "INSERT INTO contacts (id, first_name, last_name, lifecycle_stage, funnel_stage,"
            " funnel_history, attributes, archived, created_at, updated_at, version)"
            " VALUES (?, 'C', '', 'customer', 'purchase', '[]', '{}', 0, ?, ?, 1)",
            ((f"{i:032x}", STAMP, STAMP) for i in range(start, min(start + step, customers))),
        )
    insert_transactions(con, data, 0, bulk)
    con.execute(
        "CREATE INDEX ix_transactions_rfm ON transactions (contact_id, occurred_at, amount)"
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def timed_insert(path: Path, data: dict[str, np.ndarray[Any, Any]], start: int, stop: int) -> float:
    """Rows/s of a plain sqlite3 ``executemany`` of ``start:stop`` into the indexed table."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    insert_transactions(con, data, start, stop)
    took = time.perf_counter() - t0
    con.close()
    return (stop - start) / took


def compare_sources(path: Path) -> str:
    """Per customer, the summary against a recomputation with sqlite3; and how often the
    plain float ``sum(amount)`` (the earlier way) misses the exact total at 15 digits."""
    con = sqlite3.connect(path)
    differ, float_off, customers = con.execute(
        "SELECT sum(NOT (r.frequency = g.n AND r.last_at = g.last AND r.monetary = g.units)),"
        " sum(printf('%.15g', g.plain) != printf('%.15g', g.units / 10000.0)), count(*)"
        " FROM customer_rfm r JOIN (SELECT contact_id, count(*) AS n, max(occurred_at) AS last,"
        " sum(CAST(round(amount * 10000) AS INTEGER)) AS units, sum(amount) AS plain"
        " FROM transactions GROUP BY contact_id) g USING (contact_id)"
    ).fetchone()
    con.close()
    return (
        f"{customers:,} customers, summary differs from a recomputation for {differ}; "
        f"a float sum(amount) would be off at 15 significant digits for {float_off:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    args = parser.parse_args()
    workdir = tempfile.TemporaryDirectory()
    path = Path(workdir.name) / "rfm-repo.db"
    data = generate(args.customers, args.transactions)
    n, tail = args.transactions, args.transactions // 10
    t0 = time.perf_counter()
    store(path, data, args.customers, n - 2 * tail)
    print(f"stored {n - 2 * tail:,} transactions in {time.perf_counter() - t0:.1f} s")
    before = timed_insert(path, data, n - 2 * tail, n - tail)
    print(f"plain sqlite3 insert of {tail:,} more at 0006_clv (no trigger): {before:,.0f} rows/s")
    engine = make_engine(f"sqlite:///{path}")
    t0 = time.perf_counter()
    migrate.upgrade(engine)
    print(f"upgrade to {migrate.head()} (summary backfill): {time.perf_counter() - t0:.1f} s")
    after = timed_insert(path, data, n - tail, n)
    print(f"plain sqlite3 insert of the last {tail:,} (trigger upserts): {after:,.0f} rows/s")
    clock = FixedClock(day_start(AS_OF))
    with SqlUnitOfWork(engine, clock=clock, ids=SequentialIds(seed=1)) as uow:
        counts_s, report = median_time(lambda: uow.transactions.rfm_counts(as_of=AS_OF))
        hist_s, _ = median_time(lambda: uow.transactions.rfm_counts(as_of=HISTORICAL))
        query_s, counts = median_time(
            lambda: rfm_segment_counts(uow.session.conn, t.transactions, as_of=AS_OF)
        )
        node = parse_filter(BEHAVIOUR).unwrap()
        now = day_start(AS_OF) + timedelta(hours=12)
        seg_s, members = median_time(lambda: uow.audience.members(node, now=now))
        repo_s, rows = median_time(lambda: uow.transactions.rfm(as_of=AS_OF), runs=1)
    engine.dispose()
    print(f"repository rfm_counts() (what `crm segments rfm` runs), summary: {counts_s:.2f} s")
    print(f"  active {report.active:,}, sleeping {report.sleeping:,}")  # type: ignore[attr-defined]
    print(f"repository rfm_counts() at {HISTORICAL} (summary pass + grouped): {hist_s:.2f} s")
    print(f"grouped query only (rfm_segment_counts without the summary): {query_s:.2f} s")
    print(
        f"segment rebuild on behaviour fields (audience.members, summary joined): {seg_s:.2f} s"
        f" ({len(members):,} members)"  # type: ignore[arg-type]
    )
    print(f"repository rfm() (summary): {repo_s:.2f} s for {len(rows):,} customers")  # type: ignore[arg-type]
    same = dict(report.segments) == counts  # type: ignore[attr-defined]
    print(f"same counts, summary and grouped: {same}")
    print("segments:", {s.value: k for s, k in counts.items()})  # type: ignore[attr-defined]
    print("summary vs recomputation:", compare_sources(path))


if __name__ == "__main__":
    main()
