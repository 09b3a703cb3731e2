"""What storing an import's rows costs SQLite alone: the floor under any Python work.

    PYTHONPATH=src python bench/storage_floor.py bench/out/transactions.db [--batch 5000]

Reads every row of the tables a database's import or event processing wrote (run
``bench/import_transactions.py`` or ``bench/ingest.py`` first), migrates a fresh SQLite
file to the head, and inserts the same rows again with plain ``sqlite3.executemany``
(WAL, ``synchronous=NORMAL``, the engine's cache size, ``--batch`` rows per commit), one
table after the other, triggers dropped (the RFM summary's rows are copied as rows).
Prints each table's rows and CPU seconds: no code path can store those rows faster, so a
target under their sum needs fewer or cheaper rows, not faster Python. Never run by the
test suite.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import make_engine

TABLES = (
    "contacts",
    "transactions",
    "pipeline_facts",
    "outbox",
    "loyalty_cards",
    "loyalty_facts",
    "loyalty_moves",
    "customer_rfm",
    "health_scores",
    "event_inbox",
    "activities",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    source = sqlite3.connect(f"file:{args.source}?mode=ro", uri=True)
    with tempfile.TemporaryDirectory() as tmp:
        target_path = Path(tmp) / "floor.db"
        engine = make_engine(f"sqlite:///{target_path}")
        migrate.upgrade(engine)
        engine.dispose()
        target = sqlite3.connect(target_path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
            target.execute(f"PRAGMA {pragma}")
        triggers = target.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in triggers.fetchall():
            target.execute(f"DROP TRIGGER {name}")
        total = 0.0
        for table in TABLES:
            columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})")]
            rows = source.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            if not rows:
                continue
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            cpu = time.process_time()
            for start in range(0, len(rows), args.batch):
                target.execute("BEGIN")
                target.executemany(insert, rows[start : start + args.batch])
                target.execute("COMMIT")
            cpu = time.process_time() - cpu
            total += cpu
            print(f"{table:16s} {len(rows):>10,} rows {cpu:7.2f} s CPU")
        print(f"{'total':16s} {'':>10s}      {total:7.2f} s CPU")


if __name__ == "__main__":
    main()
