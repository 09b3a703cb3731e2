"""``crm dedup scan`` over N stored contacts with 10 % planted duplicates (issue 18).

Generates the contacts (``tests.dedup_synthetic.planted``, no two with one e-mail,
the synthetic id as ``user_id``, city and birth date as attributes), stores them in a
fresh SQLite file through the repository (``--via-import`` uses ``crm import contacts``
instead, which keeps no city or birth date), runs ``crm dedup scan`` in a subprocess,
then scores the queued pairs (the ``duplicate`` review items) against the planted ones.

    PYTHONPATH=src:. python bench/dedup_scan.py --n 100000 [--n 300000 ...]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from tests.dedup_synthetic import planted

from crmcore.adapters.sql import migrate
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone


def _crm(db: str, *args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    command = [sys.executable, "-m", "crmcore", "--db", db, *args]
    before, started = os.times(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    if done.returncode not in (0, 3):
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done, time.perf_counter() - started, cpu


def _store(db: str, rows: tuple[tuple[str, ...], ...]) -> float:
    """Contacts straight through the repository, with city and birth date attributes."""
    started = time.perf_counter()
    app = bootstrap(Settings(db_url=db))
    now = app.clock.now()
    batch: list[Contact] = []

    def flush() -> None:
        with app.uow() as uow:
            uow.contacts.add_many(batch)
            uow.commit()
        batch.clear()

    for row in rows:
        email = Email.parse(row[3]).value_or(None) if row[3] else None
        phone = Phone.parse(row[4]).value_or(None) if row[4] else None
        batch.append(
            Contact(
                id=ContactId(app.ids.new()),
                name=PersonName(row[1], row[2]),
                email=email,
                phone=phone,
                user_id=row[0],
                attributes={"city": row[5], "birth_date": row[6]},
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) >= 50_000:
            flush()
    if batch:
        flush()
    return time.perf_counter() - started


def _baseline(db: str) -> tuple[float, float]:
    """A plain-library read of the compared columns (no crmcore): wall and CPU seconds."""
    started, before = time.perf_counter(), time.process_time()
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, first_name, last_name, email, phone, attributes FROM contacts"
        ).fetchall()
    engine.dispose()
    assert rows
    return time.perf_counter() - started, time.process_time() - before


@contextmanager
def _database(n: int, workdir: Path, postgres: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a fresh database on the PostgreSQL server of ``postgres``."""
    if postgres is None:
        yield f"sqlite:///{workdir / f'scan{n}.db'}"
        return
    name = f"crmcore_bench_scan_{n}_{os.getpid()}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        fresh = create_engine(url)
        migrate.upgrade(fresh)  # PostgreSQL is never upgraded implicitly
        fresh.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(n: int, workdir: Path, *, via_import: bool, postgres: str | None = None) -> None:
    with _database(n, workdir, postgres) as db:
        _run(n, workdir, db, via_import=via_import)


def _run(n: int, workdir: Path, db: str, *, via_import: bool) -> None:
    data = planted(n, seed=42, distinct_emails=True)
    if via_import:
        source = workdir / f"contacts{n}.csv"
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["user_id", "first_name", "last_name", "email", "phone", "c", "d"])
            writer.writerows(data.rows)
        _, import_wall, _ = _crm(db, "-q", "import", "contacts", str(source), "--map", "c=",
                                 "--map", "d=")  # fmt: skip
    else:
        import_wall = _store(db, data.rows)
    load = os.getloadavg()[0]
    done, wall, cpu = _crm(db, "--format", "json", "dedup", "scan")
    base_wall, base_cpu = _baseline(db)
    report = json.loads(done.stdout)
    engine = create_engine(db)
    with engine.connect() as conn:
        user_of = {str(i): u for i, u in conn.execute(text("SELECT id, user_id FROM contacts"))}
        items = conn.execute(
            text("SELECT candidates FROM review_items WHERE reason = 'duplicate'")
        ).all()
    found = set()
    for (candidates,) in items:
        ids = json.loads(candidates) if isinstance(candidates, str) else candidates
        a, b = (user_of[str(i).replace("-", "")] if str(i) not in user_of else user_of[str(i)]
                for i in ids)  # fmt: skip
        found.add((min(a, b), max(a, b)))
    stored = set(user_of.values())
    truth = {p for p in data.pairs if p[0] in stored and p[1] in stored}
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    print(
        f"n={n}: stored {report['contacts']}, candidates {report['candidates']}, queued "
        f"{len(found)}, planted {len(truth)}; precision {precision:.4f} recall {recall:.4f} "
        f"F1 {f1:.4f}; scan {wall:.1f} s wall, {cpu:.1f} s CPU (storing {import_wall:.1f} s); "
        f"baseline: plain SELECT of the compared columns {base_wall:.1f} s wall, "
        f"{base_cpu:.1f} s CPU; load {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append", default=None)
    parser.add_argument("--via-import", action="store_true")
    parser.add_argument(
        "--postgres", metavar="URL", help="a server to make a fresh database on, not SQLite"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n or [100_000]:
            run(n, Path(tmp), via_import=args.via_import, postgres=args.postgres)


if __name__ == "__main__":
    main()
