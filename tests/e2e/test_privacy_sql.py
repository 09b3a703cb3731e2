"""Retention of the SQL-only tables, the audit log, and the CLI (C12)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from crmcore import Settings, bootstrap, capture_lead
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.system import FixedClock
from crmcore.app.privacy import erase_person, purge_retention
from crmcore.domain.email import Email
from crmcore.domain.privacy import subject_key
from tests.conftest import PG_URL, require_service
from tests.databases import fresh_postgres

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CRM = [sys.executable, "-c", "from crmcore.app.cli.main import main; main()"]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_storage_priv") as pg:
        engine = make_engine(pg)
        migrate.upgrade(engine)
        engine.dispose()
        yield pg


def _seed_history(url: str, now: datetime) -> uuid.UUID:
    engine = make_engine(url)
    campaign = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            insert(t.campaigns),
            {
                "id": campaign,
                "name": "Welcome",
                "status": "completed",
                "stats": {"sent": 3},
                "definition": {},
                "created_at": now,
                "updated_at": now,
                "version": 1,
            },
        )
        conn.execute(
            insert(t.campaign_deliveries),
            [
                {
                    "id": uuid.uuid4(),
                    "campaign_id": campaign,
                    "channel": "email",
                    "status": "sent",
                    "at": now - timedelta(days=days),
                }
                for days in (400, 380, 10)
            ],
        )
        conn.execute(
            insert(t.health_scores),
            [
                {
                    "id": uuid.uuid4(),
                    "user_id": user,
                    "score": 60,
                    "risk_level": "yellow",
                    "factors": {},
                    "computed_at": now - timedelta(days=days),
                }
                for user, days in (("u1", 400), ("u1", 300), ("u1", 5), ("u2", 500))
            ],
        )
    engine.dispose()
    return campaign


def test_purge_trims_campaign_detail_and_health_history_keeping_aggregates(url: str) -> None:
    app = bootstrap(Settings(db_url=url), clock=FixedClock(NOW))
    _seed_history(url, NOW)
    report = purge_retention(app).unwrap()
    # u2's only score is old but it is the current one: history, not the score, expires
    assert report.counts == {
        "leads": 0,
        "activities": 0,
        "campaign_deliveries": 2,
        "health_scores": 2,
    }
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.campaigns)).scalar() == 1
        stats = conn.execute(select(t.campaigns.c.stats)).scalar()
        users = sorted(conn.execute(select(t.health_scores.c.user_id)).scalars())
    engine.dispose()
    assert stats == {"sent": 3}
    assert users == ["u1", "u2"]


def test_erase_writes_an_audit_record_without_the_address(url: str) -> None:
    app = bootstrap(Settings(db_url=url), clock=FixedClock(NOW))
    capture_lead(app, email="zoe@example.com", first_name="Zoe").unwrap()
    erase_person(app, email="zoe@example.com", actor="dpo").unwrap()
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit_log)).mappings().all()
    engine.dispose()
    assert [(r["action"], r["actor"]) for r in rows] == [("privacy.erase", "dpo")]
    with engine.connect() as conn:
        secret = conn.execute(select(t.database_secrets.c.secret)).scalar_one()
    engine.dispose()
    address = Email("zoe@example.com")
    assert rows[0]["subject"] == subject_key(address, secret=bytes.fromhex(secret))
    assert rows[0]["subject"] != hashlib.sha256(b"zoe@example.com").hexdigest()
    assert "zoe" not in json.dumps(dict(rows[0]["detail"]))


def test_each_database_keys_its_audit_subjects_with_its_own_secret(tmp_path: Path) -> None:
    subjects = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        app = bootstrap(Settings(db_url=url), clock=FixedClock(NOW))
        capture_lead(app, email="zoe@example.com", first_name="Zoe").unwrap()
        erase_person(app, email="zoe@example.com").unwrap()
        engine = make_engine(url)
        with engine.connect() as conn:
            subjects.append(conn.execute(select(t.audit_log.c.subject)).scalar_one())
        engine.dispose()
    assert subjects[0] != subjects[1]


def _crm(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CRM, "--db", url, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_retention_and_privacy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    app = bootstrap(Settings(db_url=url))
    capture_lead(app, email="ivan@example.com", first_name="Ivan").unwrap()
    _seed_history(url, datetime.now(UTC))

    dry = _crm(url, "retention", "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "campaign_deliveries   would purge 2" in dry.stdout
    real = _crm(url, "retention", "purge")
    assert "campaign_deliveries   purged 2" in real.stdout

    exported = _crm(url, "privacy", "export", "ivan@example.com")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["leads"][0]["name"]["first"] == "Ivan"

    erased = _crm(url, "privacy", "erase", "ivan@example.com", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "1 lead(s)" in erased.stdout
    again = _crm(url, "privacy", "export", "ivan@example.com")
    assert again.returncode == 3
    assert again.stderr.startswith("error: person with email ivan@example.com not found")
    bad = _crm(url, "privacy", "erase", "not-an-email", "--yes")
    assert bad.returncode == 1
    assert "email" in bad.stderr
    assert "Traceback" not in bad.stderr
