"""``crm clv`` end to end in a subprocess on a SQLite file holding the CDNOW sample.

The SQL transaction repository (and so ``crm import transactions`` on SQL) is built on
another branch: the test seeds the file's ``transactions`` table directly.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from crmcore.adapters.sql import tables
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.mapping import contact_row
from crmcore.adapters.sql.migrate import ensure_schema
from crmcore.adapters.system import SequentialIds
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from tests.unit.clv.seeding import CDNOW_PUBLISHED, cdnow_purchases

SRC = Path(__file__).resolve().parents[2] / "src"


def crm(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("CRMCORE_DB", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from crmcore.app.cli.main import main; main()",
            "--db",
            f"sqlite:///{db}",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _seed(db: Path) -> None:
    engine = make_engine(f"sqlite:///{db}")
    ensure_schema(engine, auto_upgrade=True)
    ids, now = SequentialIds(seed=5), datetime(1998, 7, 1, tzinfo=UTC)
    contacts: dict[str, ContactId] = {}
    purchases = cdnow_purchases()
    rows = []
    for n, (customer, at, value) in enumerate(purchases):
        if customer not in contacts:
            contacts[customer] = ContactId(ids.new())
        rows.append(
            {
                "id": ids.new(),
                "contact_id": contacts[customer],
                "occurred_at": at,
                "amount": value,
                "currency": "USD",
                "external_id": f"cdnow-{n}",
                "created_at": now,
            }
        )
    people = [
        contact_row(
            Contact(
                id=cid,
                name=PersonName(name, ""),
                user_id=name,
                lifecycle=LifecycleStage.CUSTOMER,
                created_at=now,
                updated_at=now,
            )
        )
        for name, cid in contacts.items()
    ]
    with engine.begin() as conn:
        conn.execute(insert(tables.contacts), [{**p, "version": 1} for p in people])
        conn.execute(insert(tables.transactions), rows)
    engine.dispose()


def test_fit_predict_and_status_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    empty = crm(db, "clv", "fit", "--as-of", "1997-09-30", "--format", "json")
    assert empty.returncode == 1
    assert empty.stdout == ""
    assert empty.stderr.strip().count("\n") == 0
    assert "nothing to fit" in empty.stderr

    _seed(db)
    fitted = crm(db, "clv", "fit", "--as-of", "1997-09-30", "--unit", "weeks", "--format", "json")
    assert fitted.returncode == 0, fitted.stderr
    record = json.loads(fitted.stdout)
    assert record["customers"] == 2357
    assert {k: round(record["bg_nbd"][k], 3) for k in CDNOW_PUBLISHED} == CDNOW_PUBLISHED

    predicted = crm(
        db, "clv", "predict", "--horizon", "12", "--discount-rate", "0.01", "--format", "csv"
    )
    assert predicted.returncode == 0, predicted.stderr
    table = list(csv.DictReader(io.StringIO(predicted.stdout)))
    assert len(table) == 2357
    assert list(table[0]) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "expected_purchases",
        "p_alive",
        "expected_avg_value",
        "clv",
    ]
    assert all(0 <= float(r["p_alive"]) <= 1 for r in table)

    status = crm(db, "clv", "status", "--status", "leaving", "--format", "json")
    assert status.returncode == 0, status.stderr
    leaving = json.loads(status.stdout)
    assert leaving
    assert {r["status"] for r in leaving} == {"leaving"}
    assert all(r["task"] for r in leaving)
    again = json.loads(crm(db, "clv", "status", "--status", "leaving", "--format", "json").stdout)
    assert [r["customer_id"] for r in again] == [r["customer_id"] for r in leaving]
    assert not any(r["task"] for r in again)
