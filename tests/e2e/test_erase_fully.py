"""After ``privacy erase`` of a person with a full history, no table, column or (SQLite)
byte of the file names them; and every text column of the schema is covered by the
erasure or says why it holds no personal data."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select

from crmcore import Settings, bootstrap, capture_lead, convert_lead, qualify_lead
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.privacy import ERASURE
from crmcore.adapters.system import FixedClock
from crmcore.app.context import App
from crmcore.app.events.worker import ingest_events, process_inbox
from crmcore.app.importing.transactions import import_transactions_file
from crmcore.app.intelligence.health import assess_all
from crmcore.app.loyalty.board import place_all
from crmcore.app.privacy import erase_person, export_person
from crmcore.app.sales.activities import log_activity
from crmcore.domain.health import HealthConfig
from tests.conftest import PG_URL, require_service
from tests.databases import fresh_postgres

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EMAIL = "zebulon.quixote@example.ru"
FIRST, LAST = "Zebulon", "Quixotic"
USER_ID = "zq-77810"
PHONE = "+79161234567"
#: What must not be found anywhere after the erasure (compared case-insensitively).
NEEDLES = (EMAIL, FIRST, LAST, USER_ID, PHONE.lstrip("+"))
WHO = {"email": EMAIL, "user_id": USER_ID, "phone": PHONE, "first_name": FIRST, "last_name": LAST}


def _event(n: int, kind: str, data: dict[str, Any]) -> bytes:
    at = f"2026-02-{10 + n:02d}T10:00:00+03:00"
    body = {"id": f"zq-ev-{n}", "type": kind, "occurred_at": at, "customer": WHO, "data": data}
    return json.dumps(body).encode()


EVENTS = [
    _event(1, "purchase", {"amount": "120.50", "currency": "RUB", "order_id": "o-1"}),
    _event(2, "purchase", {"amount": "80", "currency": "RUB", "order_id": "o-2"}),
    _event(3, "email_opened", {"campaign_id": "c-1"}),
    _event(4, "email_clicked", {"campaign_id": "c-1", "url": f"https://shop.example/?u={USER_ID}"}),
    _event(5, "form_answer", {"form_id": "f-1", "answers": {"nps": 9, "address": "12 Elm Road"}}),
    _event(6, "review", {"channel": "site", "rating": 5, "text": f"{FIRST} loves it"}),
    _event(7, "message", {"channel": "telegram", "text": f"Hi, {FIRST} {LAST} here"}),
    _event(8, "app_login", {"device": f"{FIRST}'s phone"}),
    _event(9, "email_opened", {"campaign_id": "c-2"}),
]
BAD = json.dumps({"id": "zq-bad", "type": "purchase", "customer": WHO, "data": {}}).encode()


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_erase_fully") as pg:
        engine = make_engine(pg)
        migrate.upgrade(engine)
        engine.dispose()
        yield pg


def full_history(app: App, tmp_path: Path) -> None:
    lead = capture_lead(
        app, email=EMAIL, first_name=FIRST, last_name=LAST, phone=PHONE, company=f"{LAST} Ltd"
    ).unwrap()
    qualify_lead(app, lead.id, fit=f"{FIRST} fits", budget="yes", timeline="Q2").unwrap()
    conversion = convert_lead(
        app, lead.id, account_name="Acme", deal_title=f"Deal with {FIRST} {LAST}", deal_amount="900"
    ).unwrap()
    contact_id = conversion.contact.id
    log_activity(app, type="call", subject=f"Called {FIRST}", contact_id=contact_id).unwrap()
    assert conversion.deal is not None
    log_activity(
        app, type="note", subject=f"{LAST} wants more", deal_id=conversion.deal.id
    ).unwrap()
    ingest_events(app, [*EVENTS, BAD], source="test").unwrap()
    process_inbox(app).unwrap()
    csv = tmp_path / "tx.csv"
    csv.write_text(
        f"customer_id,occurred_at,amount,transaction_id,product\n"
        f"{USER_ID},2026-02-01T10:00:00+00:00,50,zq-t1,Gift for {FIRST}\n",
        encoding="utf-8",
    )
    import_transactions_file(app, csv).unwrap()
    place_all(app, imports=[]).unwrap()
    assess_all(app, config=HealthConfig()).unwrap()


def found_in_tables(url: str) -> list[str]:
    engine = make_engine(url)
    hits = []
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = json.dumps(value, default=str, ensure_ascii=False).casefold()
                    hits += [f"{table.name}.{column}: {n}" for n in NEEDLES if n.casefold() in text]
    engine.dispose()
    return hits


def test_erase_leaves_no_trace_in_any_column(url: str, tmp_path: Path) -> None:
    app = bootstrap(Settings(db_url=url), clock=FixedClock(NOW))
    full_history(app, tmp_path)
    before = found_in_tables(url)
    assert any(h.startswith("event_inbox.payload") for h in before)
    assert any(h.startswith("outbox.envelope") for h in before)
    erase_person(app, email=EMAIL, actor="dpo").unwrap()
    assert found_in_tables(url) == []
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:  # what a copy of the file would hold
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).lower()
        assert [n for n in NEEDLES if n.lower().encode() in raw] == []


def test_export_includes_everything_held(url: str, tmp_path: Path) -> None:
    app = bootstrap(Settings(db_url=url), clock=FixedClock(NOW))
    full_history(app, tmp_path)
    data = export_person(app, email=EMAIL).unwrap()
    for key in ("pipeline_facts", "loyalty_facts", "loyalty_cards", "health_scores"):
        assert data[key], key
    for key in ("clv_predictions", "review_items", "transactions", "deals"):
        assert key in data
    assert Decimal(str(data["loyalty_facts"][0]["revenue"])) > 0


def test_every_text_column_is_covered_by_the_erasure() -> None:
    columns = {
        (table.name, column.name)
        for table in t.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
    }
    assert sorted(columns - set(ERASURE)) == []
    assert sorted(set(ERASURE) - columns) == []
