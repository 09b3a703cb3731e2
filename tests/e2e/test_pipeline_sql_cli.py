"""``crm events`` and ``crm review`` as subprocesses on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL
from tests.databases import fresh_postgres

ROOT = Path(__file__).resolve().parents[2]

EVENTS = [
    {
        "id": "p1",
        "type": "purchase",
        "occurred_at": "2026-01-05T12:00:00+03:00",
        "customer": {"email": "ann@example.com", "user_id": "u1"},
        "data": {"amount": "120.50", "currency": "RUB"},
    },
    {
        "id": "o1",
        "type": "email_opened",
        "occurred_at": "2026-01-05T12:01:00+03:00",
        "customer": {"email": "ann@example.com"},
        "data": {"campaign_id": "c1"},
    },
    {
        "id": "r1",
        "type": "review",
        "occurred_at": "2026-01-05T12:02:00+03:00",
        "customer": {"email": "bob@example.com"},
        "data": {"text": "good but slow"},
    },
]
BAD = '{"id": "x1", "type": "purchase", "data": {"amount": [5]}}'


def crm(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from crmcore.app.cli.main import main; main()",
            "--db",
            url,
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def crm_json(url: str, *args: str) -> Any:
    done = crm(url, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    request.getfixturevalue("postgres_url")
    with fresh_postgres(PG_URL, prefix="crmcore_sqlpipe") as pg:
        upgraded = crm(pg, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        yield pg


def test_ingest_work_status_failed_and_review_on_sql(url: str) -> None:
    lines = "\n".join([*(json.dumps(e) for e in EVENTS), BAD]) + "\n"
    ingested = crm(url, "events", "ingest", "-", "--format", "json", stdin=lines)
    assert ingested.returncode == 3, ingested.stderr  # one bad line
    report = json.loads(ingested.stdout)
    assert report["accepted"] == 3
    assert [r["line"] for r in report["rejected"]] == [4]

    again = crm(url, "events", "ingest", "-", "--format", "json", stdin=lines)
    assert json.loads(again.stdout)["duplicates"] == 3

    worked = crm_json(url, "events", "work")
    assert worked["claimed"] == 3
    assert worked["done"] == 2
    assert worked["review"] == 1  # mixed feedback the lexicon is unsure of

    status = crm_json(url, "events", "status")
    assert status["inbox"]["done"] == 2
    assert status["inbox"]["review"] == 1
    assert status["failed_open"] == 2  # the bad line, ingested twice
    assert status["review_open"] == 1

    failed = crm_json(url, "events", "failed", "list")
    assert {f["line"] for f in failed} == {4}
    discarded = crm(url, "events", "failed", "discard", failed[0]["id"])
    assert discarded.returncode == 0, discarded.stderr

    [item] = crm_json(url, "review", "list")
    assert item["event_id"] == "r1"
    resolved = crm(url, "review", "resolve", item["id"], "--label", "neutral", "--by", "ops")
    assert resolved.returncode == 0, resolved.stderr

    final = crm_json(url, "events", "status")
    assert final["inbox"]["done"] == 3
    assert final["review_open"] == 0
    assert final["failed_open"] == 1
    # re-running the worker finds nothing to do: exactly once
    assert crm_json(url, "events", "work")["claimed"] == 0
