"""``crm dedup csv`` in a subprocess: planted duplicates come back as pairs."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.dedup_synthetic import HEADER, planted


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("crm")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "crmcore", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _file(tmp_path: Path) -> tuple[Path, frozenset[tuple[str, str]]]:
    data = planted(1500, seed=11)
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(data.rows)
    return path, data.pairs


def test_dedup_csv_reports_the_planted_pairs(tmp_path: Path) -> None:
    path, truth = _file(tmp_path)
    done = _crm("dedup", "csv", str(path), "--id-column", "id", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["id_1", "id_2", "probability", *HEADER[1:]]
    found = {(min(r["id_1"], r["id_2"]), max(r["id_1"], r["id_2"])) for r in rows}
    hits = len(found & truth)
    assert hits / len(truth) >= 0.95
    assert hits / len(found) >= 0.95
    assert all(float(r["probability"]) >= 0.5 for r in rows)


def test_dedup_csv_json_explains_each_field(tmp_path: Path) -> None:
    path, _ = _file(tmp_path)
    done = _crm(
        "dedup", "csv", str(path), "--id-column", "id", "--fields", "first_name,last_name,email",
        "--threshold", "0.9", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pairs = json.loads(done.stdout)
    assert pairs
    first = pairs[0]
    assert set(first["explanation"]) == {"first_name", "last_name", "email"}
    assert all({"level", "weight"} <= set(v) for v in first["explanation"].values())
    assert all(p["probability"] >= 0.9 for p in pairs)


def test_dedup_csv_with_an_unknown_id_column_is_a_usage_error(tmp_path: Path) -> None:
    path, _ = _file(tmp_path)
    done = _crm("dedup", "csv", str(path), "--id-column", "nope")
    assert done.returncode == 2
    assert "id_column" in done.stderr
    assert "Traceback" not in done.stderr


def test_dedup_scan_fills_the_review_queue(tmp_path: Path) -> None:
    data = planted(400, seed=12, distinct_emails=True)
    source = tmp_path / "contacts.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["user_id", "first_name", "last_name", "email", "phone"])
        writer.writerows(r[:5] for r in data.rows)
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    imported = _crm("--db", db, "-q", "import", "contacts", str(source))
    assert imported.returncode in (0, 3), imported.stderr
    scanned = _crm("--db", db, "--format", "json", "dedup", "scan")
    assert scanned.returncode == 0, scanned.stderr
    report = json.loads(scanned.stdout)
    assert report["queued"] > 0
    listed = _crm("--db", db, "--format", "json", "review", "list", "--reason", "duplicate")
    items = json.loads(listed.stdout)
    assert len(items) == min(report["queued"], 100)
    assert all(len(i["candidates"]) == 2 for i in items)
    rescanned = json.loads(_crm("--db", db, "--format", "json", "dedup", "scan").stdout)
    assert rescanned["queued"] == 0
