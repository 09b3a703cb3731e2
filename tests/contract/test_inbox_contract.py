"""One contract for every Inbox adapter (memory, SQLite, PostgreSQL), and multi-process runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.adapters.sql.tables import metadata
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.inbox import AcceptedEvent, InboxEntry, InboxStatus, Lease
from crmcore.ports.errors import ConcurrentModification
from crmcore.ports.event_processing import Inbox
from tests.contract.inbox_worker import applied, applied_metadata

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]

Session = Callable[[], AbstractContextManager[Inbox]]


def _entry(n: int, *, at: datetime = AT) -> InboxEntry:
    return InboxEntry.accept(
        event_id=f"e{n}",
        type="purchase",
        payload={"id": f"e{n}", "n": n},
        occurred_at=at + timedelta(minutes=n),
        at=at,
        validated=True,
    )


@contextmanager
def _pg_database(base_url: str) -> Iterator[str]:
    name = f"crmcore_events_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        sa.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sql_session(url: str) -> Session:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    applied_metadata.create_all(engine)

    @contextmanager
    def session() -> Iterator[Inbox]:
        with engine.begin() as conn:
            yield SqlInbox(conn)

    return session


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    if request.param == "memory":
        db = MemoryDatabase()

        @contextmanager
        def memory() -> Iterator[Inbox]:
            with MemoryEventUnitOfWork(db, clock=FixedClock(AT), ids=SequentialIds()) as uow:
                yield uow.inbox
                uow.commit()

        yield memory
    elif request.param == "sqlite":
        yield _sql_session(f"sqlite:///{tmp_path / 'inbox.db'}")
    else:
        base = request.getfixturevalue("postgres_url")
        with _pg_database(base) as url:
            yield _sql_session(url)


def test_adding_is_idempotent_by_event_id(session: Session) -> None:
    with session() as inbox:
        assert inbox.add_many([_entry(1), _entry(2)]) == 2
    with session() as inbox:
        assert inbox.add_many([_entry(2), _entry(3)]) == 1
        stored = inbox.get("e2")
        assert stored is not None
        assert stored.payload == {"id": "e2", "n": 2}
        assert stored.occurred_at == AT + timedelta(minutes=2)
        assert inbox.get("nope") is None
        assert inbox.counts()[InboxStatus.PENDING] == 3


def test_accepting_stores_what_adding_the_entries_stores(session: Session) -> None:
    offset = timezone(timedelta(hours=3))
    events = [
        AcceptedEvent(f"a{n}", "review", {"id": f"a{n}", "data": {"text": "ок"}}, when)
        for n, when in enumerate(
            [AT + timedelta(microseconds=7), (AT - timedelta(days=400)).astimezone(offset)]
        )
    ]
    with session() as inbox:
        assert inbox.accept_many(events, at=AT) == 2
        inbox.add_many([e.entry(at=AT) for e in events] + [_entry(1)])
    with session() as inbox:
        assert inbox.accept_many([*events, events[0]], at=AT + timedelta(hours=1)) == 0
        assert inbox.accept_many([], at=AT) == 0
        for event in events:
            assert inbox.get(event.event_id) == attrs.evolve(event.entry(at=AT), version=1)


def test_due_entries_come_in_time_order(session: Session) -> None:
    with session() as inbox:
        inbox.add_many([_entry(n) for n in (5, 1, 3)])
    with session() as inbox:
        assert [e.event_id for e in inbox.lock_due(now=AT, limit=2)] == ["e1", "e3"]
        assert inbox.lock_due(now=AT - timedelta(seconds=1), limit=10) == []


def test_a_claim_hides_the_entry_until_its_lease_expires(session: Session) -> None:
    lease = timedelta(minutes=5)
    with session() as inbox:
        inbox.add_many([_entry(1)])
    with session() as inbox:
        [entry] = inbox.lock_due(now=AT, limit=10)
        inbox.save(entry.claim(worker="w", token=uuid.UUID(int=1), now=AT, lease=lease))
    with session() as inbox:
        assert inbox.lock_due(now=AT + timedelta(minutes=1), limit=10) == []
        [again] = inbox.lock_due(now=AT + lease, limit=10)
        assert again.claimed_by == "w"
        assert again.attempts == 1


def test_claim_due_claims_like_entry_claim_in_one_step(session: Session) -> None:
    lease = timedelta(minutes=5)
    token, later = uuid.UUID(int=1), uuid.UUID(int=2)
    with session() as inbox:
        inbox.add_many([_entry(n) for n in (4, 1, 3, 2)])
    with session() as inbox:
        [first] = inbox.claim_due(now=AT, limit=1, worker="w1", token=token, lease=lease)
    with session() as inbox:
        expected = [
            e.claim(worker="w2", token=later, now=AT + lease, lease=lease)
            for e in inbox.lock_due(now=AT + lease, limit=3)
        ]
        claimed = inbox.claim_due(now=AT + lease, limit=3, worker="w2", token=later, lease=lease)
    # the expired claim of e1 is taken over, merged in time order with the pending ones
    assert [e.event_id for e in claimed] == ["e1", "e2", "e3"]
    assert [attrs.evolve(e, version=0) for e in claimed] == [
        attrs.evolve(e, version=0) for e in expected
    ]
    assert [e.attempts for e in claimed] == [2, 1, 1]
    with session() as inbox:
        stored = inbox.get_many(["e1", "e2", "e3"])
        assert [stored[e.event_id] for e in claimed] == list(claimed)  # versions as stored
        assert first.claim_token == token
        assert stored["e1"].claim_token == later
        assert (
            inbox.claim_due(now=AT + lease, limit=10, worker="w3", token=token, lease=lease)[
                0
            ].event_id
            == "e4"
        )
        inbox.save(claimed[0].done(at=AT))  # the returned version is the stored one


def test_a_stale_write_is_refused(session: Session) -> None:
    with session() as inbox:
        inbox.add_many([_entry(1)])
    with session() as inbox:
        stale = inbox.get("e1")
        assert stale is not None
        inbox.save(attrs.evolve(stale, last_error="first"))
    with pytest.raises(ConcurrentModification), session() as inbox:
        inbox.save(attrs.evolve(stale, last_error="second"))
    with session() as inbox:
        kept = inbox.get("e1")
        assert kept is not None
        assert kept.last_error == "first"


def test_taken_entries_are_claimed_in_memory_only_and_marked_done_at_once(
    session: Session,
) -> None:
    lease = timedelta(minutes=5)
    token = uuid.UUID(int=7)
    with session() as inbox:
        inbox.add_many([_entry(n) for n in (4, 1, 3, 2)])
    with session() as inbox:  # an expired claim is taken over like a pending entry
        [e1] = inbox.claim_due(now=AT, limit=1, worker="w0", token=token, lease=lease)
    with session() as inbox:
        expected = [
            e.claim(worker="w", token=token, now=AT + lease, lease=lease)
            for e in inbox.lock_due(now=AT + lease, limit=3)
        ]
        taken = inbox.take_due(now=AT + lease, limit=3, worker="w", token=token, lease=lease)
        assert list(taken) == expected  # as claimed, at the stored versions
        assert [e.event_id for e in taken] == ["e1", "e2", "e3"]
        assert [e.attempts for e in taken] == [2, 1, 1]
        stored = inbox.get_many(["e1", "e2"])
        assert stored["e2"].status is InboxStatus.PENDING  # nothing written
        assert stored["e1"] == e1
        inbox.mark_taken_done(taken[:2], at=AT + lease)
        inbox.save(taken[2].parked(reason="why", at=AT + lease))
    with session() as inbox:
        done = inbox.get_many(["e1", "e2", "e3"])
        for entry in taken[:2]:
            assert attrs.evolve(done[entry.event_id], version=0) == attrs.evolve(
                entry.done(at=AT + lease), version=0
            )
        assert done["e3"].status is InboxStatus.REVIEW
        assert [e.event_id for e in inbox.lock_due(now=AT + lease, limit=10)] == ["e4"]
    with pytest.raises(ConcurrentModification), session() as inbox:
        inbox.mark_taken_done(taken[:1], at=AT + lease)  # stale: already done


def test_taken_entries_without_an_expired_lease_are_the_due_pending_ones(
    session: Session,
) -> None:
    lease = timedelta(minutes=5)
    token = uuid.UUID(int=7)
    later = attrs.evolve(_entry(9), next_attempt_at=AT + timedelta(hours=1))
    with session() as inbox:
        inbox.add_many([_entry(n) for n in (4, 1, 3, 2, 5)] + [later])
    with session() as inbox:
        expected = [
            e.claim(worker="w", token=token, now=AT, lease=lease)
            for e in inbox.lock_due(now=AT, limit=4)
        ]
        taken = inbox.take_due(now=AT, limit=4, worker="w", token=token, lease=lease)
        assert list(taken) == expected
        assert [e.event_id for e in taken] == ["e1", "e2", "e3", "e4"]
        assert [e.payload for e in taken] == [{"id": f"e{n}", "n": n} for n in (1, 2, 3, 4)]
        everything = inbox.take_due(now=AT, limit=9, worker="w", token=token, lease=lease)
        assert [e.event_id for e in everything] == ["e1", "e2", "e3", "e4", "e5"]


def _spawn(
    url: str, name: str, lease: float, pause: float, mode: str = "claim"
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.contract.inbox_worker",
            *(url, name, str(lease), str(pause), mode),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _fill(url: str, n: int) -> Any:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    applied_metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        SqlInbox(conn).add_many([_entry(i, at=now - timedelta(hours=1)) for i in range(n)])
    return engine


def _check_exactly_once(engine: Any, n: int) -> None:
    with engine.connect() as conn:
        counts = {
            r[0]: r[1]
            for r in conn.execute(
                sa.select(applied.c.event_id, sa.func.count()).group_by(applied.c.event_id)
            )
        }
        statuses = {
            r[0]: r[1]
            for r in conn.execute(
                sa.text("SELECT status, count(*) FROM event_inbox GROUP BY status")
            )
        }
    assert counts == {f"e{i}": 1 for i in range(n)}
    assert statuses == {"done": n}


@pytest.mark.slow
def test_four_postgres_workers_never_process_an_event_twice(postgres_url: str) -> None:
    n = 300
    with _pg_database(postgres_url) as url:
        engine = _fill(url, n)
        workers = [_spawn(url, f"w{i}", lease=2.0, pause=0.0) for i in range(4)]
        outputs = [int(w.communicate(timeout=120)[0].strip()) for w in workers]
        assert sum(outputs) == n
        assert sum(1 for o in outputs if o > 0) >= 2  # they really shared the work
        _check_exactly_once(engine, n)
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "mode"), [("sqlite", "claim"), ("sqlite", "take"), ("postgresql", "claim")]
)
def test_sigkill_mid_batch_then_restart_applies_everything_once(
    backend: str, mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    n = 40

    def run(url: str) -> None:
        engine = _fill(url, n)
        victim = _spawn(url, "victim", lease=1.0, pause=0.02, mode=mode)
        time.sleep(0.4)  # let it claim and apply part of a batch
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        with engine.connect() as conn:
            partial = conn.execute(sa.select(sa.func.count()).select_from(applied)).scalar_one()
        assert partial < n
        survivor = _spawn(url, "restarted", lease=1.0, pause=0.0, mode=mode)
        survivor.communicate(timeout=120)
        _check_exactly_once(engine, n)
        engine.dispose()

    if backend == "sqlite":
        run(f"sqlite:///{tmp_path / 'kill.db'}")
    else:
        with _pg_database(request.getfixturevalue("postgres_url")) as url:
            run(url)


@pytest.fixture
def pg_session(postgres_url: str) -> Iterator[Session]:
    with _pg_database(postgres_url) as url:
        yield _sql_session(url)


def _of(customer: str, n: int) -> InboxEntry:
    return attrs.evolve(_entry(n), payload={"id": f"e{n}", "customer": {"email": customer}})


def test_postgres_claims_whole_customers_no_other_worker_holds(pg_session: Session) -> None:
    """Events of one customer go to one worker at a time, in their order: a claim takes
    the customers with the oldest due events, and never a customer another live lease
    holds (here its last event, left out by the first claim's limit)."""
    lease = timedelta(seconds=30)
    ann, bob, cy = "ann@example.com", "bob@example.com", "cy@example.com"
    with pg_session() as inbox:
        inbox.add_many([_of(ann, 1), _of(bob, 2), _of(ann, 3), _of(ann, 4), _of(cy, 5)])
        inbox.add_many([_of(bob, 6)])
    with pg_session() as inbox:
        first = inbox.claim_due(now=AT, limit=2, worker="w1", token=uuid.UUID(int=1), lease=lease)
    assert [e.event_id for e in first] == ["e1", "e3"]  # ann's first two; e4 is held too
    with pg_session() as inbox:
        second = inbox.claim_due(now=AT, limit=10, worker="w2", token=uuid.UUID(int=2), lease=lease)
    assert [e.event_id for e in second] == ["e2", "e5", "e6"]  # bob and cy, not e4
    with pg_session() as inbox:
        assert (
            inbox.claim_due(now=AT, limit=10, worker="w3", token=uuid.UUID(int=3), lease=lease)
            == []
        )
        # once w1's lease is over, ann's events are free again (e4 and the expired ones)
        later = inbox.claim_due(
            now=AT + lease, limit=10, worker="w3", token=uuid.UUID(int=3), lease=lease
        )
    assert [e.event_id for e in later] == ["e1", "e2", "e3", "e4", "e5", "e6"]


def test_renew_extends_the_claims_lease_and_leases_list_who_holds_what(
    session: Session,
) -> None:
    lease = timedelta(seconds=30)
    token, other = uuid.UUID(int=1), uuid.UUID(int=2)
    with session() as inbox:
        inbox.add_many([_entry(n) for n in (1, 2, 3)])
    with session() as inbox:
        claimed = inbox.claim_due(now=AT, limit=2, worker="w1", token=token, lease=lease)
    with session() as inbox:
        assert inbox.renew(token, until=AT + 2 * lease) == 2
        assert inbox.renew(other, until=AT + 2 * lease) == 0
        assert inbox.leases(now=AT) == [Lease(worker="w1", events=2, until=AT + 2 * lease)]
    with session() as inbox:
        assert inbox.claim_due(now=AT + lease, limit=10, worker="w2", token=other, lease=lease)
        assert inbox.leases(now=AT + 2 * lease) == []
        # the claim's own writes still go through after a renewal
        inbox.mark_done([e.event_id for e in claimed], token=token, at=AT)


def test_a_customer_another_workers_live_lease_holds_is_not_claimed(session: Session) -> None:
    """A worker that died holding a customer's event keeps that customer until its lease
    runs out: another worker's claim skips the customer's later events (they would be
    applied before the earlier one) and takes the other customers'."""
    lease = timedelta(seconds=30)
    ann, bob = "ann@example.com", "bob@example.com"
    with session() as inbox:
        inbox.add_many([_of(ann, 1), _of(ann, 2), _of(bob, 3)])
    with session() as inbox:
        first = inbox.claim_due(now=AT, limit=1, worker="w1", token=uuid.UUID(int=1), lease=lease)
    assert [e.event_id for e in first] == ["e1"]
    with session() as inbox:
        second = inbox.claim_due(now=AT, limit=10, worker="w2", token=uuid.UUID(int=2), lease=lease)
    assert [e.event_id for e in second] == ["e3"]
    with session() as inbox:
        later = inbox.claim_due(
            now=AT + lease, limit=10, worker="w3", token=uuid.UUID(int=3), lease=lease
        )
    assert [e.event_id for e in later] == ["e1", "e2", "e3"]
