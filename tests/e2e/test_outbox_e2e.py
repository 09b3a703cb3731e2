"""The outbox end to end: the relay killed mid-run, the CLI, Redis Streams for real."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import redis

from crmcore import Settings, bootstrap
from crmcore.adapters.broker.redis_streams import PublishFailed, RedisStreamsPublisher
from crmcore.adapters.system import SequentialIds
from crmcore.app.context import App
from crmcore.app.events.outbox import consume, outbox_status, relay_until_idle
from crmcore.codec.events import loads
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import LeadReopened
from crmcore.ports.uow import UnitOfWork

CRM = [sys.executable, "-c", "from crmcore.app.cli.main import main; main()"]


def _seed_events(app: App, n: int, *, per_commit: int = 250) -> list[LeadReopened]:
    events = [LeadReopened(lead_id=LeadId(app.ids.new())) for _ in range(n)]
    for start in range(0, n, per_commit):
        with app.uow() as uow:
            uow.record(*events[start : start + per_commit])
            uow.commit()
    return events


def _lines(path: Path) -> list[Envelope[DomainEvent]]:
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1]
    return [loads(line) for line in complete.splitlines() if line]


def test_relay_killed_mid_run_then_restarted_delivers_all_once_consumed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    out = tmp_path / "events.jsonl"
    app = bootstrap(Settings(db_url=url), ids=SequentialIds(seed=3))
    events = _seed_events(app, 3000)

    relay = subprocess.Popen(
        [*CRM, "--db", url, "outbox", "relay", "--publisher", f"jsonl:{out}", "--batch", "40"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(_lines(out)) < 200 and time.monotonic() < deadline and relay.poll() is None:
            time.sleep(0.02)
    finally:
        os.kill(relay.pid, signal.SIGKILL)
        relay.wait(timeout=30)
    published_before = {e.id for e in _lines(out)}
    assert 0 < len(published_before) < len(events), "the relay was not stopped mid-run"

    stats, _ = outbox_status(app).unwrap()
    with app.uow() as uow:
        still_pending = {e.envelope.id for e in uow.outbox.pending_entries(limit=10_000)}
    sent_ids = {e.id for e in _lines(out)} - still_pending
    assert stats.sent + stats.pending == len(events)
    assert sent_ids <= published_before  # nothing is marked sent that was not published

    again = subprocess.run(
        [*CRM, "--db", url, "outbox", "relay", "--once", "--publisher", f"jsonl:{out}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    delivered = _lines(out)
    first_seen: dict[UUID, int] = {}
    for i, envelope in enumerate(delivered):
        first_seen.setdefault(envelope.id, i)
    assert len(first_seen) == len(events)  # every event at least once
    order = sorted(first_seen, key=first_seen.__getitem__)
    by_id = {e.id: e.payload for e in delivered}
    assert [by_id[i] for i in order] == events  # first deliveries are in recorded order
    assert outbox_status(app).unwrap()[0].pending == 0

    applied: list[object] = []

    def count(_uow: UnitOfWork, envelope: Envelope[DomainEvent]) -> None:
        applied.append(envelope.id)

    for envelope in delivered:  # duplicates included
        consume(app, consumer="counter", envelope=envelope, handle=count).unwrap()
    assert sorted(map(str, applied)) == sorted(str(i) for i in first_seen)


def test_cli_status_and_retry_show_dead_letters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    app = bootstrap(Settings(db_url=url))
    _seed_events(app, 2)
    unreachable = "redis://127.0.0.1:1/0"
    failed = subprocess.run(
        [
            *CRM,
            "--db",
            url,
            "outbox",
            "relay",
            "--once",
            "--max-attempts",
            "1",
            "--publisher",
            unreachable,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 0, failed.stderr
    assert "dead-lettered 2" in failed.stdout
    status = subprocess.run(
        [*CRM, "--db", url, "outbox", "status", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(status.stdout)
    assert (report["pending"], report["dead"]) == (0, 2)
    assert "redis" in report["dead_letters"][0]["error"]
    retried = subprocess.run(
        [*CRM, "--db", url, "outbox", "retry"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "2 event(s)" in retried.stdout
    assert outbox_status(app).unwrap()[0].pending == 2


def test_relay_without_a_publisher_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CRMCORE_PUBLISHER"}
    result = subprocess.run(
        [*CRM, "--db", f"sqlite:///{tmp_path / 'x.db'}", "outbox", "relay", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "--publisher" in result.stderr


def test_the_memory_publisher_is_not_an_operator_option(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = subprocess.run(
        [*CRM, "--db", db, "outbox", "relay", "--once", "--publisher", "memory"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "marked sent and lost" in result.stderr
    assert "Traceback" not in result.stderr


def test_redis_streams_publisher_against_the_real_redis(redis_url: str, tmp_path: Path) -> None:
    stream = f"crmcore-test-{secrets.token_hex(4)}"
    publisher = RedisStreamsPublisher(redis_url, stream=stream)
    app = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'crm.db'}"), publisher=publisher)
    events = _seed_events(app, 5)
    client: Any = redis.Redis.from_url(redis_url)
    try:
        assert relay_until_idle(app).unwrap().sent == 5
        entries = client.xrange(stream)
        assert [loads(f[b"envelope"].decode()).payload for _, f in entries] == events
        assert all(f[b"id"].decode() == str(loads(f[b"envelope"].decode()).id) for _, f in entries)
        assert {f[b"type"] for _, f in entries} == {b"crm.lead.reopened"}
    finally:
        client.delete(stream)
        client.close()
        publisher.close()


def test_redis_publisher_reports_an_unreachable_server() -> None:
    publisher = RedisStreamsPublisher("redis://127.0.0.1:1/0")
    envelope: Envelope[DomainEvent] = Envelope(
        id=SequentialIds().new(),
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        payload=LeadReopened(lead_id=LeadId(SequentialIds().new())),
    )
    with pytest.raises(PublishFailed, match="redis"):
        publisher.publish(envelope)
