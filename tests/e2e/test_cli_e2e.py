"""The installed ``crm`` in a subprocess against SQLite files and PostgreSQL.

The SQL tests skip while ``bootstrap`` cannot open SQL URLs on this branch (it raises
``UnsupportedDatabase``); they run unchanged once the storage adapters land.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmcore.app.bootstrap import upgrade_database

SRC = Path(__file__).resolve().parents[2] / "src"


def crm_command() -> list[str]:
    """The installed console script next to this interpreter (or the module as a fallback)."""
    script = Path(sys.executable).parent / "crm"
    if script.exists():
        return [str(script)]
    found = shutil.which("crm")
    return [found] if found else [sys.executable, "-m", "crmcore.app.cli.main"]


def environment(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["CRMCORE_DB"] = db_url
    env.pop("CRMCORE_CONFIG", None)
    return env


def crm(db_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*crm_command(), *args],
        env=environment(db_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def crm_json(db_url: str, *args: str) -> Any:
    return json.loads(crm(db_url, "--format", "json", *args).stdout)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test, dropped afterwards."""
    import psycopg

    name = f"crmcore_cli_{uuid.uuid4().hex[:10]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade_database(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def contacts_csv(path: Path, n: int) -> Path:
    lines = ["first_name;E-mail;phone"]
    lines += [f"P{i};p{i}@example.com;+7900{i:07d}" for i in range(n)]
    lines.insert(3, "")
    lines.append("Bad;bad@;12")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def comparable(db_url: str) -> list[tuple[Any, ...]]:
    rows = crm_json(db_url, "contacts", "list", "--all")
    return sorted((r["email"], r["first_name"], r["phone"]) for r in rows)


def test_the_console_script_runs_the_demo_in_memory() -> None:
    first = crm("memory://", "demo", "--seed", "5")
    second = crm("memory://", "demo", "--seed", "5")
    assert first.stdout == second.stdout
    assert "Pipeline by stage" in first.stdout
    bad = crm("memory://", "leads", "capture", "--email", "x", check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def operator_session(db_url: str, tmp_path: Path) -> None:
    lead = crm_json(db_url, "leads", "capture", "--email", "ann@example.com", "--first-name", "A")
    crm(db_url, "leads", "qualify", lead["id"], "--fit", "y", "--budget", "y", "--timeline", "y")
    done = crm_json(db_url, "leads", "convert", lead["id"], "--account", "Acme")
    assert done["account_id"]
    deal = crm_json(db_url, "deals", "create", "--title", "Pilot", "--amount", "1000")
    crm(db_url, "deals", "move", deal["id"])
    stages = {r["stage"]: r for r in crm_json(db_url, "deals", "pipeline")}
    assert stages["qualified"]["forecast"] == "200.00"
    again = crm(
        db_url, "leads", "capture", "--email", "ann@example.com", "--first-name", "A", check=False
    )
    assert again.returncode == 1
    path = contacts_csv(tmp_path / "contacts.csv", 200)
    first = crm(db_url, "--format", "json", "import", "contacts", str(path), check=False)
    assert first.returncode == 3
    assert json.loads(first.stdout)["created"] == 200
    rerun = crm(db_url, "--format", "json", "import", "contacts", str(path), check=False)
    summary = json.loads(rerun.stdout)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 200)
    demo_one = crm(db_url, "demo", "--seed", "2").stdout
    assert crm(db_url, "demo", "--seed", "2").stdout == demo_one


def test_an_operator_session_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    operator_session(sqlite_url, tmp_path)


@pytest.mark.postgres
def test_an_operator_session_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    operator_session(pg_url, tmp_path)


def _stored_contacts(db_file: Path) -> int:
    """How many contacts a SQLite file holds now (0 while it has no table yet)."""
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM contacts").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_one_clean_run(tmp_path: Path) -> None:
    rows, batch = 12_000, 1_000
    db_file = tmp_path / "crm.db"
    url = f"sqlite:///{db_file}"
    path = contacts_csv(tmp_path / "big.csv", rows)
    args = [*crm_command(), "-q", "import", "contacts", str(path), "--batch-size", str(batch)]
    proc = subprocess.Popen(args, env=environment(url), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _stored_contacts(db_file) < batch and time.monotonic() < deadline:
        assert proc.poll() is None, "the import ended before a batch could be seen"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # after the first batch committed, before the last
    proc.wait()
    assert batch <= _stored_contacts(db_file) < rows
    crm(url, "-q", "import", "contacts", str(path), check=False)
    clean = f"sqlite:///{tmp_path / 'clean.db'}"
    crm(clean, "-q", "import", "contacts", str(path), check=False)
    assert comparable(url) == comparable(clean)
    rerun = crm(url, "--format", "json", "import", "contacts", str(path), check=False)
    assert json.loads(rerun.stdout)["unchanged"] == rows
