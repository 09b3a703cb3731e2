"""Transactions import benchmark: the CDNOW sample grown to the master file's size.

    PYTHONPATH=src python bench/import_transactions.py [--copies 10] [--db bench/out/tx.db]
        [--rows N] [--rfm-as-of 1998-06-30]

Builds ``bench/data/cdnow_x<copies>.csv`` once: the 6,919 purchases of the CDNOW sample
(2,357 customers, tests/data/cdnow_sample.txt), copied ``copies`` times with the customer
ids made distinct — 69,190 rows and 23,570 customers for 10 copies, the shape of the CDNOW
master file (69,659 rows, 23,570 customers). ``--rows N`` instead writes N purchases by
N/3 customers cycling the sample (for the 1M figure). Then times ``crm -q import
transactions`` into a fresh SQLite file (the whole command, as an operator runs it), a
re-run (everything already imported), and prints the RFM segment counts and the CLV fit
so runs of different code on the same file can be compared. The load average is printed
before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "cdnow_sample.txt"


def _sample() -> list[tuple[int, str, str]]:
    rows = []
    for line in SAMPLE.read_text().splitlines():
        _, customer, day, _, amount = line.split()
        rows.append((int(customer), f"{day[:4]}-{day[4:6]}-{day[6:]}", amount))
    return rows


def generate(path: Path, *, copies: int, rows: int | None) -> int:
    """Write the file once; returns its row count."""
    sample = _sample()
    if path.exists():
        return sum(1 for _ in path.open()) - 1
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w") as out:
        out.write("customer_id,occurred_at,amount\n")
        if rows is None:
            for copy in range(copies):
                for customer, day, amount in sample:
                    out.write(f"c{copy:02d}-{customer:05d},{day},{amount}\n")
                    written += 1
        else:
            for n in range(rows):
                customer, day, amount = sample[n % len(sample)]
                out.write(f"c{n // len(sample):04d}-{customer:05d},{day},{amount}\n")
                written += 1
    return written


def crm(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT / "src"))}
    return subprocess.run(
        [sys.executable, "-m", "crmcore", "--db", db, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def timed(db: str, *args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds (user + system) of the command, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = crm(db, *args)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def _compact(done: subprocess.CompletedProcess[str]) -> str:
    """A command's JSON output on one line (its text, or its error, when not JSON)."""
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()[:300]}"
    try:
        return json.dumps(json.loads(done.stdout), sort_keys=True)
    except ValueError:
        return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "transactions.db"))
    parser.add_argument("--rfm-as-of", default="1998-06-30")
    parser.add_argument("--fit-as-of", default="1997-09-30")
    args = parser.parse_args()
    name = f"cdnow_rows{args.rows}.csv" if args.rows else f"cdnow_x{args.copies}.csv"
    data = ROOT / "bench" / "data" / name
    count = generate(data, copies=args.copies, rows=args.rows)
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = f"sqlite:///{db_path}"
    print(f"load before: {os.getloadavg()[0]:.2f}; file {data.name}: {count:,} rows")
    wall, cpu, done = timed(db, "-q", "import", "transactions", str(data))
    print(
        f"import: {wall:.2f} s wall, {cpu:.2f} s CPU ({count / wall:,.0f} rows/s): "
        f"{done.stdout.strip()}"
    )
    if done.returncode not in (0, 3):
        print(done.stderr, file=sys.stderr)
    wall, cpu, done = timed(db, "-q", "import", "transactions", str(data))
    print(f"re-run: {wall:.2f} s wall, {cpu:.2f} s CPU: {done.stdout.strip()}")
    rfm = crm(db, "segments", "rfm", "--as-of", args.rfm_as_of, "--format", "json")
    print("rfm:", _compact(rfm))
    fit = crm(db, "clv", "fit", "--as-of", args.fit_as_of, "--format", "json")
    print("clv fit:", _compact(fit))
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
