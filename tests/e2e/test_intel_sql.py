"""Customer intelligence through the CLI in a subprocess, on SQLite files and PostgreSQL:
import transactions, the RFM report, saved segments, health assessment and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmcore import Settings, bootstrap
from crmcore.domain.account import Account
from crmcore.domain.ids import AccountId
from tests.databases import fresh_postgres

SRC = Path(__file__).resolve().parents[2] / "src"
CLI = "from crmcore.app.cli.main import main; main()"

CSV = """customer_id,occurred_at,amount,transaction_id,currency
u1,2026-03-30,10.00,t1,
u1,2026-03-29T10:00:00,5.50,t2,EUR
u1,2026-03-01,7,t3,
u2,2026-03-30,3,,
u3,2026-01-01,abc,,
u5,2025-12-01,1,,
u6,2026-02-15,2.25,t6,
"""
EXPECTED_RFM = {
    "vip": 0,
    "loyal": 1,
    "at_risk": 0,
    "lost": 0,
    "newbie": 1,
    "promising": 0,
    "drifting": 1,
    "sleeping": 1,
}


def crm(db_url: str, *args: str, code: int = 0) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC)
    env.pop("CRMCORE_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", CLI, "--db", db_url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == code, done.stderr
    return done.stdout


def rfm_counts(db_url: str) -> dict[str, int]:
    out = crm(db_url, "segments", "rfm", "--as-of", "2026-03-31", "--format", "json")
    return {row["segment"]: row["customers"] for row in json.loads(out)}


def import_twice(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(CSV)
    out = crm(db_url, "--format", "json", "import", "transactions", str(path), code=3)
    first = json.loads(out)  # one bad row
    assert (first["kind"], first["created"], first["rejected"]) == ("transactions", 6, 1)
    again = json.loads(crm(db_url, "--format", "json", "import", "transactions", str(path), code=3))
    assert (again["created"], again["unchanged"]) == (0, 6)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with fresh_postgres(postgres_url, prefix="crmcore_sqlintel_e2e") as url:
        yield url


def test_import_and_rfm_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    import_twice(sqlite_url, tmp_path)
    assert rfm_counts(sqlite_url) == EXPECTED_RFM


def test_import_and_rfm_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    crm(pg_url, "db", "upgrade")
    import_twice(pg_url, tmp_path)
    assert rfm_counts(pg_url) == EXPECTED_RFM


def _seed_accounts_and_health(db_url: str) -> None:
    """Two accounts over the imported customers, with health inputs in their attributes."""
    app = bootstrap(Settings(db_url=db_url))
    now = app.clock.now()
    facts: dict[str, dict[str, Any]] = {
        "u1": {"active_days_30": 20, "engagement_30": 10, "nps": 10},
        "u2": {"active_days_30": 0, "nps": 2, "unresolved_tickets": 5},
        "u5": {"active_days_30": 15, "engagement_30": 8, "nps": 8},
    }
    with app.uow() as uow:
        acme = Account(id=AccountId(app.ids.new()), name="Acme", created_at=now, updated_at=now)
        solo = Account(id=AccountId(app.ids.new()), name="Solo", created_at=now, updated_at=now)
        uow.accounts.add(acme)
        uow.accounts.add(solo)
        for user_id, account in (("u1", acme), ("u2", acme), ("u5", solo)):
            contact = next(iter(uow.contacts.find_many(user_ids=[user_id])), None)
            assert contact is not None
            uow.contacts.save(
                attrs.evolve(
                    contact,
                    account_id=account.id,
                    attributes={**contact.attributes, "health": facts[user_id]},
                )
            )
        uow.commit()


def test_segments_and_health_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    import_twice(sqlite_url, tmp_path)
    _seed_accounts_and_health(sqlite_url)
    spec = tmp_path / "filter.json"
    spec.write_text(
        json.dumps(
            {
                "and": [
                    {"field": "behaviour.transactions", "op": "ge", "value": 1},
                    {"field": "behaviour.monetary", "op": "ge", "value": "3"},
                ]
            }
        )
    )
    assert "segment buyers: 2 members" in crm(
        sqlite_url, "segments", "create", "buyers", "--filter", str(spec)
    )
    crm(sqlite_url, "segments", "create", "buyers", "--filter", str(spec), code=1)
    listed = json.loads(crm(sqlite_url, "segments", "list", "--format", "json"))
    assert [(s["name"], s["members"]) for s in listed] == [("buyers", 2)]
    shown = json.loads(
        crm(sqlite_url, "segments", "show", "buyers", "--members", "--format", "json")
    )
    assert sorted(m["user_id"] for m in shown["member_list"]) == ["u1", "u2"]

    assert "assessed 4 customers" in crm(sqlite_url, "health", "assess")
    report = json.loads(crm(sqlite_url, "health", "report", "--format", "json"))
    assert len(report) == 4
    assert report == sorted(report, key=lambda r: (r["score"], r["contact_id"]))
    red = json.loads(crm(sqlite_url, "health", "report", "--risk", "red", "--format", "json"))
    assert {r["user_id"] for r in red} >= {"u2"}
    assert all(r["level"] == "red" for r in red)
    scores = {r["user_id"]: r["score"] for r in report}
    accounts = json.loads(crm(sqlite_url, "health", "report", "--accounts", "--format", "json"))
    by_name = {a["name"]: a for a in accounts}
    assert set(by_name) == {"Acme", "Solo"}
    acme = by_name["Acme"]
    assert acme["contacts"] == 2
    assert acme["worst"] == min(scores["u1"], scores["u2"])
    assert acme["score"] == int((scores["u1"] + scores["u2"]) / 2 + 0.5)
    assert by_name["Solo"]["score"] == scores["u5"]
