"""``crm board`` on SQLite in a subprocess: the state survives between invocations."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from crmcore.app.loyalty.config import default_template

ROOT = Path(__file__).resolve().parents[2]
HEADER = "customer,name,first_interaction,purchases,revenue\n"
BASE = HEADER + "".join(
    f"00000000-0000-0000-0000-00000000000{n},C{n},2025-0{n}-02,{n % 2},{n * 10}\n"
    for n in range(1, 5)
)


def crm(db: Path, board: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", "from crmcore.app.cli.main import main; main()",
         "--db", f"sqlite:///{db}", "board", "--board", str(board), *args],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip


def test_board_on_sqlite(tmp_path: Path) -> None:
    db, facts, board = tmp_path / "crm.db", tmp_path / "base.csv", tmp_path / "board.toml"
    facts.write_text(BASE)
    board.write_text(default_template().replace("wip_limit = 10", "wip_limit = 1"))
    placed = crm(db, board, "place", "--facts", str(facts))
    assert placed.returncode == 0, placed.stderr
    shown = json.loads(crm(db, board, "show", "--format", "json").stdout)
    assert [c["cards"] for c in shown["columns"]][:2] == [2, 2]
    table = crm(db, board, "show")
    assert "Acquainted" in table.stdout
    assert "0/1" in table.stdout
    c2, c4 = (f"00000000-0000-0000-0000-00000000000{n}" for n in (2, 4))
    assert crm(db, board, "take", c2, "--owner", "olga").returncode == 0
    refused = crm(db, board, "take", c4, "--owner", "ivan")
    assert refused.returncode == 1
    assert "olga (C2)" in refused.stderr
    assert crm(db, board, "release", c2).returncode == 0
    assert crm(db, board, "take", c4, "--owner", "ivan").returncode == 0
    moved = crm(db, board, "move", c2, "--to", "regular", "--reason", "signed a partner deal")
    assert moved.returncode == 0, moved.stderr
    held = crm(db, board, "move", c4, "--to", "recommender", "--reason", "wrote a review")
    assert "(released by ivan: the work on acquainted is done)" in held.stdout
    after = json.loads(crm(db, board, "show", "--format", "json").stdout)["columns"]
    assert {c["key"]: c["active"] for c in after}["acquainted"] == 0
    cards = json.loads(crm(db, board, "show", "--cards", "--format", "json").stdout)
    assert [(c["customer"], c["level"], c["owner"]) for c in cards][-2:] == [
        ("C4", "recommender", None),
        ("C2", "regular", None),
    ]
    assert all(c["days_in_level"] > 200 for c in cards if c["level"] == "customer")
    stuck = json.loads(crm(db, board, "stuck", "--format", "json").stdout)
    waits = {r["from_level"]: r["median_days"] for r in stuck}
    # placed from a historic file: a card waits since its first interaction, not the import
    assert waits["customer"] is not None
    assert waits["customer"] > 200
    log = list(csv.DictReader(io.StringIO(crm(db, board, "movements", "--format", "csv").stdout)))
    assert [(r["to"], r["cause"]) for r in log][-2] == ("regular", "override")
    assert log[-2]["override_reason"] == "signed a partner deal"
    cohorts = crm(db, board, "cohort-revenue")
    assert cohorts.returncode == 0
    assert "2025-01" in cohorts.stdout
