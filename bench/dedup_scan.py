"""``crm dedup scan`` over N stored contacts with 10 % planted duplicates (issue 18).

Generates the contacts (``crmcore.app.dedup.synthetic.planted``, no two with one e-mail,
the synthetic id as ``user_id``), imports them with ``crm import contacts`` into a fresh
SQLite file, runs ``crm dedup scan`` in a subprocess, then scores the queued pairs
(``crm review list --reason duplicate``) against the planted ones.

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

from crmcore.app.dedup.synthetic import planted


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


def run(n: int, workdir: Path) -> None:
    data = planted(n, seed=42, distinct_emails=True)
    source = workdir / f"contacts{n}.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["user_id", "first_name", "last_name", "email", "phone", "city", "dob"])
        writer.writerows(data.rows)
    db = f"sqlite:///{workdir / f'scan{n}.db'}"
    _, import_wall, _ = _crm(db, "-q", "import", "contacts", str(source), "--map", "city=",
                             "--map", "dob=")  # fmt: skip
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
        f"F1 {f1:.4f}; scan {wall:.1f} s wall, {cpu:.1f} s CPU (import {import_wall:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n or [100_000]:
            run(n, Path(tmp))


if __name__ == "__main__":
    main()
