"""Event pipeline throughput: accept + process vs a raw insert of the same rows.

    PYTHONPATH=src python bench/ingest.py [--n 100000]

Measured in one run, on a fresh SQLite file (WAL, synchronous=NORMAL):
  raw      sqlite3 executemany of the accepted rows (event_id, type, payload JSON)
  accept   validate + normalise + SqlInbox.add_many, batches of 1000, one commit per batch
  process  SQL claim (lease) + per-event transaction marking each entry done (the inbox
           mechanics the SQL unit of work will run; domain effects need the SQL
           repositories, which live on another branch)
  memory   the whole pipeline (matching, facts, actions, outbox) on the memory adapters
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import sqlalchemy as sa

from crmcore import Settings, bootstrap
from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.adapters.sql.pipeline_tables import metadata
from crmcore.app.pipeline import ingest_events, process_inbox
from crmcore.domain.inbox import InboxEntry
from crmcore.domain.interactions import parse_interaction

TYPES = ["purchase", "email_opened", "email_clicked", "app_login", "review", "form_answer"]


def generate(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Mixed events over n/10 customers."""
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        kind = rng.choice(TYPES)
        c = rng.randrange(max(1, n // 10))
        data: dict[str, Any] = {
            "purchase": {"amount": f"{rng.randint(1, 500)}.00", "currency": "RUB"},
            "email_opened": {"campaign_id": "c1"},
            "email_clicked": {"campaign_id": "c1", "url": "https://example.com"},
            "app_login": {"device": "ios"},
            "review": {"text": rng.choice(["great, thanks", "terrible and slow", "ok"])},
            "form_answer": {"form_id": "nps", "answers": {"nps": rng.randint(0, 10)}},
        }[kind]
        out.append(
            {
                "id": f"evt-{i}",
                "type": kind,
                "occurred_at": (t0 + timedelta(seconds=i)).isoformat(),
                "customer": {"user_id": f"u{c}", "email": f"c{c}@example.com"},
                "data": data,
            }
        )
    return out


def bench_raw(path: Path, events: list[dict[str, Any]]) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (event_id TEXT PRIMARY KEY, type TEXT, payload TEXT)")
    start = time.perf_counter()
    for i in range(0, len(events), 1000):
        rows = [(e["id"], e["type"], json.dumps(e)) for e in events[i : i + 1000]]
        conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def pragmas(conn: Any, _: Any) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")

    metadata.create_all(engine)
    return engine


def bench_sql(path: Path, events: list[dict[str, Any]]) -> tuple[float, float]:
    engine = _engine(path)
    now = datetime.now(UTC)
    start = time.perf_counter()
    for i in range(0, len(events), 1000):
        entries = []
        for raw in events[i : i + 1000]:
            event = parse_interaction(raw).unwrap()
            entries.append(
                InboxEntry.accept(
                    event_id=event.event_id,
                    type=event.type.value,
                    payload=event.to_json(),
                    occurred_at=event.occurred_at,
                    at=now,
                    validated=True,
                )
            )
        with engine.begin() as conn:
            SqlInbox(conn).add_many(entries)
    accept = time.perf_counter() - start
    start = time.perf_counter()
    lease = timedelta(minutes=5)
    while True:
        with engine.begin() as conn:
            inbox = SqlInbox(conn)
            claimed = []
            for e in inbox.lock_due(now=now, limit=500):
                taken = e.claim(worker="bench", token=uuid4(), now=now, lease=lease)
                inbox.save(taken)
                claimed.append(taken)
        if not claimed:
            break
        with engine.begin() as conn:
            inbox = SqlInbox(conn)
            for e in claimed:
                current = inbox.get(e.event_id)
                assert current is not None
                parse_interaction(current.payload, trusted=True).unwrap()
                inbox.save(current.done(at=now))
    process = time.perf_counter() - start
    engine.dispose()
    return accept, process


def bench_memory(events: list[dict[str, Any]]) -> tuple[float, float]:
    app = bootstrap(Settings(db_url="memory://"))
    start = time.perf_counter()
    for i in range(0, len(events), 1000):
        ingest_events(app, events[i : i + 1000]).unwrap()
    accept = time.perf_counter() - start
    start = time.perf_counter()
    process_inbox(app, batch=500).unwrap()
    return accept, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--memory-n", type=int, default=5_000)
    args = parser.parse_args()
    events = generate(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        raw = bench_raw(Path(tmp) / "raw.db", events)
        accept, process = bench_sql(Path(tmp) / "inbox.db", events)
    m_accept, m_process = bench_memory(generate(args.memory_n))
    n = args.n
    total = accept + process
    print(f"events                    {n}")
    print(f"raw insert                {raw:8.2f} s  {n / raw:10.0f} ev/s")
    print(f"accept (validate+inbox)   {accept:8.2f} s  {n / accept:10.0f} ev/s")
    print(f"process (claim+done)      {process:8.2f} s  {n / process:10.0f} ev/s")
    print(
        f"accept+process            {total:8.2f} s  {n / total:10.0f} ev/s  {total / raw:.1f}x raw"
    )
    mn = args.memory_n
    print(
        f"memory full pipeline ({mn}): accept {mn / m_accept:.0f} ev/s, "
        f"process {mn / m_process:.0f} ev/s"
    )


if __name__ == "__main__":
    main()
