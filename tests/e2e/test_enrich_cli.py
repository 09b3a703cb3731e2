"""``crm accounts enrich --table`` and ``crm leads enrich --table`` in a subprocess on SQLite."""

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


def test_accounts_enrich_fills_from_the_lookup_table(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    table = tmp_path / "firms.csv"
    table.write_text("domain,industry,size,country\nacme.example,edtech,51-200,RU\n")
    added = _crm(db, "--format", "json", "accounts", "add", "--name", "Acme",
                 "--website", "https://acme.example", "--region", "EU")  # fmt: skip
    assert added.returncode == 0, added.stderr
    account = json.loads(added.stdout)
    done = _crm(db, "--format", "json", "accounts", "enrich", "--table", str(table))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["enriched"] == 1
    shown = json.loads(_crm(db, "--format", "json", "accounts", "show", account["id"]).stdout)
    assert shown["industry"] == "edtech"
    assert shown["size_range"] == "51-200"
    assert shown["region"] == "EU"  # entered by a person: kept
    lead = _crm(db, "--format", "json", "leads", "capture", "--email", "anna@acme.example",
                "--first-name", "Anna", "--region", "EU")  # fmt: skip
    assert lead.returncode == 0, lead.stderr
    done = _crm(db, "--format", "json", "leads", "enrich", "--table", str(table))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["enriched"] == 1
    shown = json.loads(
        _crm(db, "--format", "json", "leads", "show", json.loads(lead.stdout)["id"]).stdout
    )
    assert (shown["industry"], shown["region"]) == ("edtech", "EU")
    bad = _crm(db, "accounts", "enrich", "--table", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
