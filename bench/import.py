"""Import benchmark (issue 5): validation throughput and the full import into SQLite.

    PYTHONPATH=src python bench/import.py --rows 1000000 [--db bench/out/import.db]
        [--start-method fork|spawn|forkserver] [--rerun]

Generates ``bench/data/contacts_<rows>.csv`` once (deterministic; 1 % broken e-mails,
80 % with a phone written ``8 900 NNNNNNN``), then measures, each beside its baseline:

* validation only (``validate_records``): serially on 100k rows and on the pool of two
  over all rows, in µs per row;
* the full ``import_file`` (read, validate on the pool, merge, store in batches of 50,000)
  into a fresh SQLite file, beside two raw inserts of the same rows: ``raw (uuid4, 5
  columns)`` — ``sqlite3.executemany`` into a bare table with a unique e-mail index, as
  in ``shared/perf/NOTES.md`` — and ``raw (contacts schema)`` — the already-validated
  rows, converted up front (not timed), into the migrated ``contacts`` table with its
  four secondary indexes, in the same batches;
* with ``--rerun``, the same import again (everything unchanged).

The load average is printed before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmcore import Settings, bootstrap
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.system import Uuid7Source
from crmcore.app.importing.csvio import read_csv
from crmcore.app.importing.files import (
    BATCH_SIZE,
    Defaults,
    Kind,
    ValidRow,
    gc_paused,
    import_file,
    plan_columns,
    validate_records,
)

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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def timed(label: str, fn: Callable[[], object]) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<52} {elapsed:8.2f} s  (this process: {used:.2f} s CPU)", flush=True)
    return elapsed


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def raw_uuid4(csv_path: Path, db: Path) -> None:
    """The reference raw insert: uuid4 text keys, the five CSV columns, unique e-mail."""
    file = read_csv(csv_path)
    conn = connect(fresh(db))
    conn.execute(
        "CREATE TABLE c (id TEXT PRIMARY KEY, first TEXT, last TEXT, email TEXT, phone TEXT)"
    )
    conn.execute("CREATE UNIQUE INDEX c_email ON c(email)")
    rows = [(str(uuid.uuid4()), *r.cells) for r in file.records]
    for i in range(0, len(rows), 10_000):
        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO c VALUES (?,?,?,?,?)", rows[i : i + 10_000])
        conn.execute("COMMIT")
    conn.close()


def contacts_schema_rows(valid: list[ValidRow]) -> tuple[str, list[tuple[Any, ...]]]:
    """The validated rows as driver values for the ``contacts`` table (not timed)."""
    ids, now = Uuid7Source(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    names = ["id", "first_name", "last_name", "email", "phone", "lifecycle_stage"]
    names += ["funnel_stage", "funnel_history", "attributes", "archived", "created_at"]
    names += ["updated_at", "version"]
    fixed = ("lead", "visitor", "[]", "{}", 0, now, now, 1)
    rows = [
        (ids.new().hex, *r.data["name"], r.data["email"], r.data["phone"], *fixed) for r in valid
    ]
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO contacts ({', '.join(names)}) VALUES ({marks})", rows


def raw_contacts(db: Path, sql: str, rows: list[tuple[Any, ...]]) -> None:
    conn = connect(db)
    for i in range(0, len(rows), BATCH_SIZE):
        conn.execute("BEGIN")
        conn.executemany(sql, rows[i : i + BATCH_SIZE])
        conn.execute("COMMIT")
    conn.close()


def migrated(path: Path) -> Path:
    engine = make_engine(f"sqlite:///{fresh(path)}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=OUT / "import.db")
    parser.add_argument("--start-method", default=None)
    parser.add_argument("--rerun", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = generate(args.rows)
    print(f"{args.rows:,} rows from {path}; {os.cpu_count()} cores; {load()}", flush=True)
    file = read_csv(path)
    plan = plan_columns(Kind.CONTACTS, file.header, {}).unwrap()
    defaults = Defaults(region="RU", currency="USD")
    serial_n = min(len(file.records), 100_000)
    outcomes: list[Any] = []

    def validate(records: Any, workers: int) -> None:
        with gc_paused():
            outcomes[:] = validate_records(
                Kind.CONTACTS, plan, defaults, records, workers, start_method=args.start_method
            )

    serial = timed(
        f"validate serially ({serial_n:,} rows)", lambda: validate(file.records[:serial_n], 1)
    )
    pooled = timed(
        f"validate on the pool of 2 ({len(file.records):,} rows)", lambda: validate(file.records, 2)
    )
    print(
        f"  serial {serial / serial_n * 1e6:.1f} µs/row, "
        f"pool {pooled / len(file.records) * 1e6:.1f} µs/row",
        flush=True,
    )
    valid = [o for o in outcomes if isinstance(o, ValidRow)]
    del outcomes[:]
    app = bootstrap(Settings(db_url=f"sqlite:///{migrated(args.db)}"))

    def run_import() -> None:
        report = import_file(
            app, kind="contacts", path=path, start_method=args.start_method
        ).unwrap()
        print(
            f"  created {report.created:,}, unchanged {report.unchanged:,}, "
            f"rejected {len(report.rejected):,}"
        )

    timed(f"import_file into {args.db} (fresh)", run_import)
    timed("raw (uuid4, 5 columns, unique e-mail)", lambda: raw_uuid4(path, OUT / "raw.db"))
    sql, rows = contacts_schema_rows(valid)
    raw_db = migrated(OUT / "raw_contacts.db")
    timed("raw (contacts schema, rows pre-converted)", lambda: raw_contacts(raw_db, sql, rows))
    if args.rerun:
        timed("import_file again (everything unchanged)", run_import)
    print(load())


if __name__ == "__main__":
    main()
