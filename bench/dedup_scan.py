"""``crm dedup scan`` over N stored contacts with 10 % planted duplicates (issue 18).

Generates the contacts (``crmcore.app.dedup.synthetic.planted``, no two with one e-mail,
the synthetic id as ``user_id``, city and birth date as attributes), stores them in a
fresh SQLite file through the repository (``--via-import`` uses ``crm import contacts``
instead, which keeps no city or birth date), runs ``crm dedup scan`` in a subprocess,
then scores the queued pairs (the ``duplicate`` review items) against the planted ones.

    PYTHONPATH=src:. python bench/dedup_scan.py --n 100000 [--n 300000 ...]
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
from pathlib import Path

from sqlalchemy import create_engine, text

from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.dedup.synthetic import planted
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


def run(n: int, workdir: Path, *, via_import: bool) -> None:
    data = planted(n, seed=42, distinct_emails=True)
    db = f"sqlite:///{workdir / f'scan{n}.db'}"
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
    done, wall, cpu = _crm(db, "--format", "json", "dedup", "scan")
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
        f"F1 {f1:.4f}; scan {wall:.1f} s wall, {cpu:.1f} s CPU (storing {import_wall:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append", default=None)
    parser.add_argument("--via-import", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n or [100_000]:
            run(n, Path(tmp), via_import=args.via_import)


if __name__ == "__main__":
    main()
