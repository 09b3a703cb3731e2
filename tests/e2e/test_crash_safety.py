"""SIGKILL in the middle of a batched import leaves a consistent database; re-runs are
idempotent (SQLite file and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from tests.conftest import PG_URL, require_service
from tests.databases import fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
TOTAL, BATCH = 24_000, 2_000


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_storage_crash") as pg:
        engine = make_engine(pg)
        migrate.upgrade(engine)
        engine.dispose()
        yield pg


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    return env


def _import(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.crash_import", url, str(TOTAL), str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
    )


def _state(url: str) -> tuple[int, set[str], list[str], bool]:
    """(leads, their ids, lead ids named by crm.lead.created events, integrity ok)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        leads = int(conn.execute(select(func.count()).select_from(t.leads)).scalar() or 0)
        ids = {str(i) for i in conn.execute(select(t.leads.c.id)).scalars()}
        envelopes = conn.execute(
            select(t.outbox.c.envelope).where(t.outbox.c.type == "crm.lead.created")
        ).scalars()
        event_leads = [e["payload"]["lead_id"] for e in envelopes]
        ok = True
        if engine.dialect.name == "sqlite":
            ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    return leads, ids, event_leads, ok


def test_sigkill_mid_batch_leaves_whole_batches_and_a_matching_outbox(url: str) -> None:
    proc = _import(url)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # one batch is committed
    assert first.startswith("committed"), proc.stderr.read() if proc.stderr else first
    time.sleep(0.15)  # well inside a later batch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    leads, ids, event_leads, ok = _state(url)
    assert ok
    assert 0 < leads < TOTAL, "the import was not interrupted"
    assert leads % BATCH == 0  # no half batch
    assert sorted(event_leads) == sorted(ids)  # the outbox matches the state, once each

    for _ in range(2):  # the re-run completes the import; a second one changes nothing
        again = _import(url)
        _out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err
        leads, ids, event_leads, ok = _state(url)
        assert ok
        assert leads == TOTAL
        assert sorted(event_leads) == sorted(ids)
