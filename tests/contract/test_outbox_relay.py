"""The relay use cases over every backend: order, back-off, dead letters, retry, de-dup."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmcore import Settings
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.app.context import App
from crmcore.app.events.outbox import (
    RelayReport,
    RelayRetryPolicy,
    consume,
    outbox_status,
    relay_batch,
    relay_until_idle,
    retry_dead_letters,
)
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.domain.lead import LeadReopened
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend
from tests.contract.helpers import lead


class FlakyPublisher(MemoryPublisher):
    """Fails while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def publish(self, envelope: Envelope[DomainEvent]) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        super().publish(envelope)


@pytest.fixture
def flaky() -> FlakyPublisher:
    return FlakyPublisher()


@pytest.fixture
def app(backend: Backend, flaky: FlakyPublisher) -> App:
    return App(
        uow=backend.uow,
        clock=backend.clock,
        ids=backend.ids,
        publisher=flaky,
        settings=Settings(db_url="(contract test)"),
    )


def _record(backend: Backend, n: int) -> list[LeadReopened]:
    events = [LeadReopened(lead_id=lead(backend, f"e{i}@example.com").id) for i in range(n)]
    with backend.uow() as uow:
        uow.record(*events)
        uow.commit()
    return events


POLICY = RelayRetryPolicy(max_attempts=3, base_delay=timedelta(seconds=10))


def test_relay_publishes_everything_in_order_in_batches(
    backend: Backend, app: App, flaky: FlakyPublisher
) -> None:
    events = _record(backend, 25)
    report = relay_until_idle(app, batch=10).unwrap()
    assert report.sent == 25
    assert [e.payload for e in flaky.published] == events
    assert relay_until_idle(app).unwrap() == RelayReport()


def test_a_failure_backs_off_exponentially_and_keeps_the_order(
    backend: Backend, app: App, flaky: FlakyPublisher
) -> None:
    events = _record(backend, 3)
    flaky.down = True
    first = relay_batch(app, policy=POLICY).unwrap()
    assert (first.sent, first.failed, first.waiting) == (0, 1, True)
    flaky.down = False
    # still backing off: nothing is published, not even the later events
    assert relay_batch(app, policy=POLICY).unwrap().sent == 0
    backend.clock.advance(timedelta(seconds=10))
    flaky.down = True
    assert relay_batch(app, policy=POLICY).unwrap().failed == 1
    backend.clock.advance(timedelta(seconds=10))  # second back-off is 20 s
    flaky.down = False
    assert relay_batch(app, policy=POLICY).unwrap().sent == 0
    backend.clock.advance(timedelta(seconds=10))
    assert relay_until_idle(app, policy=POLICY).unwrap().sent == 3
    assert [e.payload for e in flaky.published] == events


def test_after_max_attempts_an_event_is_dead_lettered_then_retried(
    backend: Backend, app: App, flaky: FlakyPublisher
) -> None:
    events = _record(backend, 2)
    flaky.down = True
    for _ in range(POLICY.max_attempts):
        relay_batch(app, batch=1, policy=POLICY).unwrap()
        backend.clock.advance(timedelta(minutes=5))
    stats, dead = outbox_status(app).unwrap()
    assert (stats.pending, stats.dead) == (1, 1)
    assert dead[0].envelope.payload == events[0]
    assert dead[0].attempts == POLICY.max_attempts
    assert "broker unreachable" in (dead[0].last_error or "")
    flaky.down = False
    assert relay_until_idle(app, policy=POLICY).unwrap().sent == 1
    assert retry_dead_letters(app).unwrap() == 1
    assert relay_until_idle(app, policy=POLICY).unwrap().sent == 1
    assert [e.payload for e in flaky.published] == [events[1], events[0]]
    assert outbox_status(app).unwrap()[0].sent == 2


def test_redelivered_events_are_consumed_once(
    backend: Backend, app: App, flaky: FlakyPublisher
) -> None:
    _record(backend, 4)
    relay_until_idle(app).unwrap()
    applied: list[str] = []

    def handle(_uow: UnitOfWork, envelope: Envelope[DomainEvent]) -> None:
        applied.append(str(envelope.id))

    deliveries = flaky.published + flaky.published[:2]  # at-least-once: two come again
    outcomes = [
        consume(app, consumer="counter", envelope=e, handle=handle).unwrap() for e in deliveries
    ]
    assert outcomes == [True, True, True, True, False, False]
    assert sorted(applied) == sorted(str(e.id) for e in flaky.published)
