"""A stateful model of the outbox relay (STYLE habit 4), on memory and SQLite.

The invariants are written from the delivery promise, not from the relay's code: every
recorded event is in exactly one state; whatever is marked sent was published; first
deliveries follow the recorded order, except events that went through the dead-letter
state and were retried later.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import Engine

from crmcore import Settings
from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.uow import MemoryUnitOfWork
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.context import App
from crmcore.app.events.outbox import RelayRetryPolicy, relay_batch, retry_dead_letters
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import LeadReopened
from crmcore.ports.uow import UnitOfWork
from tests.conftest import T0
from tests.contract.test_outbox_relay import FlakyPublisher
from tests.databases import migrated_sqlite_template

POLICY = RelayRetryPolicy(max_attempts=3, base_delay=timedelta(seconds=5))
_TEMPLATE: Path | None = None


def _sqlite_engine() -> tuple[Engine, Path]:
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = migrated_sqlite_template(Path(tempfile.mkdtemp(prefix="crm-stateful-")))
    target = Path(tempfile.mkdtemp(prefix="crm-stateful-")) / "crm.db"
    shutil.copyfile(_TEMPLATE, target)
    return make_engine(f"sqlite:///{target}"), target.parent


class RelayModel(RuleBasedStateMachine):
    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.clock, self.ids = FixedClock(T0), SequentialIds(seed=11)
        self.publisher = FlakyPublisher()
        self.cleanup: Path | None = None
        self.engine: Engine | None = None
        if self.backend == "memory":
            db = MemoryDatabase()

            def uow() -> UnitOfWork:
                return MemoryUnitOfWork(db, clock=self.clock, ids=self.ids)
        else:
            engine, self.cleanup = _sqlite_engine()
            self.engine = engine

            def uow() -> UnitOfWork:
                return SqlUnitOfWork(engine, clock=self.clock, ids=self.ids)

        self.app = App(
            uow=uow,
            clock=self.clock,
            ids=self.ids,
            publisher=self.publisher,
            settings=Settings(db_url="(model)"),
        )
        self.recorded: list[UUID] = []
        self.ever_dead: set[UUID] = set()

    def teardown(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.cleanup is not None:
            shutil.rmtree(self.cleanup, ignore_errors=True)

    def _entries(self) -> tuple[list[UUID], list[UUID], int]:
        with self.app.uow() as uow:
            pending = [e.envelope.id for e in uow.outbox.pending_entries(limit=10_000)]
            dead = [e.envelope.id for e in uow.outbox.dead_letters(limit=10_000)]
            sent = uow.outbox.stats().sent
        return pending, dead, sent

    @rule(n=st.integers(1, 4))
    def record(self, n: int) -> None:
        events = [LeadReopened(lead_id=LeadId(self.ids.new())) for _ in range(n)]
        with self.app.uow() as uow:
            uow.record(*events)
            uow.commit()
        with self.app.uow() as uow:
            pending = uow.outbox.pending_entries(limit=10_000)
        self.recorded.extend(e.envelope.id for e in pending[-n:])

    @rule(down=st.booleans())
    def broker(self, down: bool) -> None:
        self.publisher.down = down

    @rule(batch=st.integers(1, 5))
    def relay(self, batch: int) -> None:
        relay_batch(self.app, batch=batch, policy=POLICY).unwrap()
        self.ever_dead.update(self._entries()[1])

    @rule(seconds=st.integers(1, 30))
    def wait(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @rule()
    def retry(self) -> None:
        retry_dead_letters(self.app).unwrap()

    @invariant()
    def every_event_is_in_exactly_one_state(self) -> None:
        pending, dead, sent = self._entries()
        assert len(pending) + len(dead) + sent == len(self.recorded)
        assert not set(pending) & set(dead)

    @invariant()
    def sent_means_published_and_order_is_kept(self) -> None:
        pending, dead, _ = self._entries()
        published: list[UUID] = []
        for envelope in self.publisher.published:
            if envelope.id not in published:
                published.append(envelope.id)
        not_sent = set(pending) | set(dead)
        assert {i for i in self.recorded if i not in not_sent} <= set(published)
        position = {event_id: i for i, event_id in enumerate(self.recorded)}
        in_order = [position[i] for i in published if i not in self.ever_dead]
        assert in_order == sorted(in_order)

    @invariant()
    def payloads_are_delivered_intact(self) -> None:
        for envelope in self.publisher.published:
            assert isinstance(envelope, Envelope)
            assert isinstance(envelope.payload, DomainEvent)


class SqliteRelayModel(RelayModel):
    backend = "sqlite"


TestMemoryRelay = RelayModel.TestCase
TestMemoryRelay.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
TestSqliteRelay = SqliteRelayModel.TestCase
TestSqliteRelay.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
