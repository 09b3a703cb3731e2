"""``crm apikeys prune-responses`` in a subprocess: it forgets the responses stored for
``Idempotency-Key`` retries that are older than ``--older-than`` (24 h by default) and
prints how many went."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmcore.adapters.system import FixedClock
from crmcore.app.access.idempotency import caller_id, claim, complete, entry_id, recall
from crmcore.app.bootstrap import bootstrap, upgrade_database
from crmcore.app.context import App, Settings


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "crmcore", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _stored(app: App, clock: FixedClock, key: str, age: timedelta) -> None:
    """A completed response for ``key`` stored ``age`` before now."""
    now = datetime.now(UTC)
    clock.at = now - age
    stored = entry_id(caller_id("cli-test"), key)
    assert claim(app, stored, print_="p").unwrap() is None
    complete(app, stored, status=201, body="{}").unwrap()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    upgrade_database(url)
    return url


def test_prune_forgets_old_responses_and_prints_the_count(db: str) -> None:
    clock = FixedClock(datetime.now(UTC))
    app = bootstrap(Settings(db_url=db), clock=clock)
    # newest first: each claim prunes what is a day older than its own clock
    _stored(app, clock, "a-minute", timedelta(seconds=1))
    _stored(app, clock, "two-hours", timedelta(hours=2))
    _stored(app, clock, "thirty-hours", timedelta(hours=30))
    _stored(app, clock, "two-days", timedelta(days=2))

    first = _crm("--db", db, "apikeys", "prune-responses", "--format", "json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"pruned": 2, "older_than_seconds": 86400}
    again = _crm("--db", db, "apikeys", "prune-responses", "--format", "json")
    assert json.loads(again.stdout)["pruned"] == 0

    shorter = _crm("--db", db, "apikeys", "prune-responses", "--older-than", "1h")
    assert shorter.returncode == 0, shorter.stderr
    assert "pruned" in shorter.stdout
    assert "1" in shorter.stdout.split("pruned", 1)[1].splitlines()[0]
    kept = entry_id(caller_id("cli-test"), "a-minute")
    assert recall(app, kept).unwrap() is not None
    gone = entry_id(caller_id("cli-test"), "two-hours")
    assert recall(app, gone).unwrap() is None


@pytest.mark.parametrize("age", ["30s", "1 day", "24", "-1h"])
def test_prune_refuses_a_bad_or_too_short_age(db: str, age: str) -> None:
    result = _crm("--db", db, "apikeys", "prune-responses", "--older-than", age)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "older" in result.stderr.lower() or "age" in result.stderr.lower()
