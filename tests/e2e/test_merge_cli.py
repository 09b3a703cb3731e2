"""``crm merge`` and ``crm unmerge`` in a subprocess on SQLite."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def _crm(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("crm")
    base = [exe] if exe else [sys.executable, "-m", "crmcore"]
    return subprocess.run(
        [*base, "--db", db, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _json(done: subprocess.CompletedProcess[str]) -> object:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_merge_moves_deals_and_unmerge_puts_everything_back(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    keep = _json(_crm(db, "--format", "json", "contacts", "add", "--first-name", "Anna",
                      "--last-name", "Karenina", "--email", "anna@mail.ru"))  # fmt: skip
    other = _json(_crm(db, "--format", "json", "contacts", "add", "--first-name", "Anna",
                       "--last-name", "Karenina", "--user-id", "u-1"))  # fmt: skip
    assert isinstance(keep, dict)
    assert isinstance(other, dict)
    deal = _crm(db, "deals", "create", "--title", "T", "--amount", "10",
                "--contact-id", other["id"])  # fmt: skip
    assert deal.returncode == 0, deal.stderr
    before = _json(_crm(db, "--format", "json", "contacts", "show", other["id"]))

    merged = _json(_crm(db, "--format", "json", "merge", keep["id"], other["id"],
                        "--reason", "same person"))  # fmt: skip
    assert isinstance(merged, dict)
    assert set(merged) == {"merge_id"}
    again = _json(_crm(db, "--format", "json", "merge", keep["id"], other["id"]))
    assert again == merged
    shown = _json(_crm(db, "--format", "json", "contacts", "show", other["id"]))
    assert isinstance(shown, dict)
    assert shown["id"] == keep["id"]
    assert shown["user_id"] == "u-1"
    deals = _json(_crm(db, "--format", "json", "deals", "list"))
    assert isinstance(deals, list)
    assert [d["contact_id"] for d in deals] == [keep["id"]]

    undone = _crm(db, "unmerge", merged["merge_id"])
    assert undone.returncode == 0, undone.stderr
    assert _json(_crm(db, "--format", "json", "contacts", "show", other["id"])) == before
    deals = _json(_crm(db, "--format", "json", "deals", "list"))
    assert isinstance(deals, list)
    assert [d["contact_id"] for d in deals] == [other["id"]]
    twice = _crm(db, "unmerge", merged["merge_id"])
    assert twice.returncode == 1
    assert "already undone" in twice.stderr
