"""``crm accounts merge`` / ``unmerge`` in a subprocess on SQLite."""

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
        [*base, "--db", db, "--format", "json", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_accounts_merge_moves_contacts_and_unmerge_puts_them_back(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    keep = json.loads(_crm(db, "accounts", "add", "--name", "Acme").stdout)["id"]
    other = json.loads(
        _crm(db, "accounts", "add", "--name", "Acme LLC", "--website", "acme.example").stdout
    )["id"]
    person = _crm(db, "contacts", "add", "--first-name", "Anna", "--email", "anna@acme.example",
                  "--account-id", other)  # fmt: skip
    assert person.returncode == 0, person.stderr
    merged = _crm(db, "accounts", "merge", keep, other, "--reason", "same firm")
    assert merged.returncode == 0, merged.stderr
    merge_id = json.loads(merged.stdout)["merge_id"]
    listed = json.loads(_crm(db, "contacts", "list", "--account-id", keep).stdout)
    assert [c["email"] for c in listed] == ["anna@acme.example"]
    assert json.loads(_crm(db, "accounts", "show", keep).stdout)["website"] == "acme.example"
    undone = _crm(db, "accounts", "unmerge", merge_id)
    assert undone.returncode == 0, undone.stderr
    assert json.loads(_crm(db, "contacts", "list", "--account-id", keep).stdout) == []
    again = _crm(db, "accounts", "unmerge", merge_id)
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
