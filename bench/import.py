"""Import benchmark (issue 5): validation throughput, the memory path, and SQLite.

    PYTHONPATH=src python bench/import.py --rows 1000000 [--db sqlite:///bench/out/b.db]

Generates ``bench/data/contacts_<rows>.csv`` once (deterministic, 1 % bad rows, phones
repeating like real exports), then measures, each side by side with its raw baseline:

* validation only: serial (1 process) vs the pool of 2 — ``validate_records``;
* the full ``import_file`` into ``--db`` (default ``memory://`` only up to 50k rows: the
  memory adapter's upsert is a linear scan per row) vs a raw ``sqlite3.executemany`` of the
  same rows into a fresh file (WAL, synchronous=NORMAL) when ``--db`` is SQLite.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import time
import uuid
from pathlib import Path

from crmcore import Settings, bootstrap
from crmcore.app.bootstrap import UnsupportedDatabase
from crmcore.app.csvio import read_csv
from crmcore.app.importing import Defaults, Kind, import_file, plan_columns, validate_records

DATA = Path(__file__).parent / "data"
OUT = Path(__file__).parent / "out"


def generate(rows: int) -> Path:
    """A contacts CSV with ``rows`` rows; built once and reused."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"contacts_{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["first_name", "last_name", "email", "phone"])
        for i in range(rows):
            phone = f"8 900 {rng.randrange(10**7):07d}" if rng.random() < 0.8 else ""
            email = f"user{i}@example{i % 97}.com" if i % 100 else f"broken{i}@"
            writer.writerow([f"First{i % 1000}", f"Last{i % 5000}", email, phone])
    return path


def timed(label: str, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<45} {elapsed:8.2f} s")
    return elapsed


def raw_sqlite(path: Path, url_path: Path) -> None:
    file = read_csv(path)
    url_path.unlink(missing_ok=True)
    conn = sqlite3.connect(url_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE c (id TEXT PRIMARY KEY, first TEXT, last TEXT, email TEXT, phone TEXT)"
    )
    conn.execute("CREATE UNIQUE INDEX c_email ON c(email)")
    rows = [(str(uuid.uuid4()), *r.cells) for r in file.records]
    for i in range(0, len(rows), 10_000):
        conn.executemany("INSERT OR IGNORE INTO c VALUES (?,?,?,?,?)", rows[i : i + 10_000])
        conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="sqlite:///bench/out/import.db or memory://")
    args = parser.parse_args()
    path = generate(args.rows)
    file = read_csv(path)
    plan = plan_columns(Kind.CONTACTS, file.header, {}).unwrap()
    defaults = Defaults(region="RU", currency="USD")
    print(f"{args.rows:,} rows from {path}")
    serial_n = min(len(file.records), 100_000)
    serial = timed(
        f"validate serially ({serial_n:,} rows)",
        lambda: validate_records(Kind.CONTACTS, plan, defaults, file.records[:serial_n], 1, None),
    )
    pooled = timed(
        "validate on the pool of 2 (all rows)",
        lambda: validate_records(Kind.CONTACTS, plan, defaults, file.records, 2, None),
    )
    per_serial = serial / serial_n * 1e6
    per_pool = pooled / len(file.records) * 1e6
    print(f"  serial {per_serial:.1f} µs/row, pool {per_pool:.1f} µs/row")
    url = args.db or ("memory://" if args.rows <= 50_000 else None)
    if url is None:
        print(
            "full import: pass --db sqlite:///bench/out/import.db (memory:// is O(n²) at this size)"
        )
        return
    try:
        app = bootstrap(Settings(db_url=url))
    except UnsupportedDatabase as exc:
        print(f"full import skipped: {exc}")
        return
    timed(f"import_file into {url}", lambda: import_file(app, kind="contacts", path=path).unwrap())
    if url.startswith("sqlite:///"):
        OUT.mkdir(exist_ok=True)
        timed(
            "raw sqlite3 executemany (uuid4 keys, unique email)",
            lambda: raw_sqlite(path, OUT / "raw.db"),
        )


if __name__ == "__main__":
    main()
