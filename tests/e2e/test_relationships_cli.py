"""``crm contacts relate`` and the decision-making unit in ``crm accounts show``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _crm(db: str, *args: str) -> Any:
    exe = shutil.which("crm")
    base = [exe] if exe else [sys.executable, "-m", "crmcore"]
    done = subprocess.run(
        [*base, "--db", db, "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_account_shows_its_decision_making_unit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    acme = _crm(db, "accounts", "add", "--name", "Acme")["id"]
    _crm(db, "contacts", "add", "--first-name", "Anna", "--email", "anna@mail.ru")
    _crm(db, "contacts", "add", "--first-name", "Vera", "--email", "vera@mail.ru")
    _crm(db, "contacts", "relate", "anna@mail.ru", "--account", acme, "--role", "champion")
    _crm(db, "contacts", "relate", "vera@mail.ru", "--account", acme, "--role", "decision_maker")
    link = _crm(db, "contacts", "relate", "anna@mail.ru", "--contact", "vera@mail.ru",
                "--role", "influencer")  # fmt: skip
    unit = _crm(db, "accounts", "show", acme)["decision_making_unit"]
    assert [(m["name"], m["role"]) for m in unit] == [
        ("Vera", "decision_maker"),
        ("Anna", "champion"),
    ]
    relations = _crm(db, "contacts", "relations", "vera@mail.ru")
    assert link["id"] in [r["id"] for r in relations]
