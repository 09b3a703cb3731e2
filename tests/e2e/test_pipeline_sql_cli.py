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
    assert worked["health_reassessed"] == 1  # ann, opened an e-mail (a purchase alone: no)

    status = crm_json(url, "events", "status")
    assert status["inbox"]["done"] == 2
    assert status["inbox"]["review"] == 1
    assert status["failed_open"] == 2  # the bad line, ingested twice
    assert status["review_open"] == 1
    assert status["health_due"] == 0

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
    assert final["health_due"] == 0  # bob's resolved review: reassessed with the resolution
    assert len(crm_json(url, "health", "report")) == 2  # ann and bob (who has no user id)
    # re-running the worker finds nothing to do: exactly once
    assert crm_json(url, "events", "work")["claimed"] == 0


KILLED_WORKER = """
import os, sys, uuid
from datetime import UTC, datetime, timedelta
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.inbox import SqlInbox
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    SqlInbox(conn).claim_due(now=datetime.now(UTC), limit=10, worker="doomed",
                             token=uuid.uuid4(), lease=timedelta(minutes=10))
os.kill(os.getpid(), 9)
"""

#: The killed worker's lease ends in two seconds (as if ten minutes had passed).
SHORTEN = """
import sys
from datetime import UTC, datetime, timedelta
import sqlalchemy as sa
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.tables import event_inbox as t
with make_engine(sys.argv[1]).begin() as conn:
    conn.execute(sa.update(t).values(lease_until=datetime.now(UTC) + timedelta(seconds=2)))
"""


def _python(script: str, url: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", script, url], env=env, capture_output=True, timeout=120
    )


def test_a_killed_workers_events_are_reported_waited_for_and_applied(url: str) -> None:
    lines = "\n".join(json.dumps(e) for e in EVENTS) + "\n"
    assert crm(url, "events", "ingest", "-", stdin=lines).returncode == 0
    killed = _python(KILLED_WORKER, url)
    assert killed.returncode == -9, killed.stderr  # claimed, then kill -9

    [lease] = crm_json(url, "events", "status")["leased"]
    assert (lease["worker"], lease["events"]) == ("doomed", 3)
    shown = crm(url, "events", "work")
    assert shown.returncode == 0, shown.stderr
    assert "claimed 0" in shown.stdout
    assert "3 events are leased by other workers until" in shown.stdout
    assert crm_json(url, "events", "work")["leased"][0]["worker"] == "doomed"

    assert _python(SHORTEN, url).returncode == 0
    worked = crm_json(url, "events", "work", "--wait")  # waits for the lease to run out
    assert worked["claimed"] == 3
    assert worked["leased"] == []
    final = crm_json(url, "events", "status")
    assert (final["inbox"]["processing"], final["inbox"]["done"], final["inbox"]["review"]) == (
        0,
        2,
        1,
    )
    assert final["leased"] == []
