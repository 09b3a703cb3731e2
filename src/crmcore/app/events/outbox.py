"""Relaying recorded events from the outbox to the publisher, and consuming them once.

The relay publishes pending events strictly in the order they were recorded, at least
once: an event is marked sent only after the publisher accepted it, in a transaction
that commits after the batch. A failed publish stops the batch (later events wait, so
order is kept) and is retried with exponential back-off; after ``max_attempts`` the
event is dead-lettered, leaves the ordered stream, and waits for ``crm outbox retry``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.events import OutboxEntry, OutboxStats
from crmcore.ports.uow import UnitOfWork


@attrs.frozen(kw_only=True)
class RelayRetryPolicy:
    """Exponential back-off: ``base · 2^(attempt-1)``, capped, then dead letter."""

    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=10)

    def delay(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th failure (1-based)."""
        wait: timedelta = self.base_delay * (2 ** max(attempt - 1, 0))
        return min(wait, self.max_delay)


@attrs.frozen(kw_only=True)
class RelayReport:
    """What one relay pass did."""

    sent: int = 0
    failed: int = 0
    dead_lettered: int = 0
    waiting: bool = False

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            sent=self.sent + other.sent,
            failed=self.failed + other.failed,
            dead_lettered=self.dead_lettered + other.dead_lettered,
            waiting=other.waiting,
        )


def relay_batch(
    app: App, *, batch: int = 100, policy: RelayRetryPolicy = RelayRetryPolicy()
) -> Result[RelayReport, AppError]:
    """Publish up to ``batch`` pending events in order; one transaction for the batch."""

    def work(uow: UnitOfWork) -> Result[RelayReport, AppError]:
        now = app.clock.now()
        sent: list[UUID] = []
        failed = dead = 0
        waiting = False
        for entry in uow.outbox.pending_entries(limit=batch):
            if entry.next_attempt_at is not None and entry.next_attempt_at > now:
                waiting = True  # the head of the stream is backing off: keep the order
                break
            error = _publish(app, entry)
            if error is None:
                sent.append(entry.envelope.id)
                continue
            attempt = entry.attempts + 1
            if attempt >= policy.max_attempts:
                uow.outbox.mark_failed(entry.envelope.id, error=error, retry_at=None)
                dead += 1
                continue
            retry_at = now + policy.delay(attempt)
            uow.outbox.mark_failed(entry.envelope.id, error=error, retry_at=retry_at)
            failed += 1
            waiting = True
            break
        uow.outbox.mark_sent(sent)
        return Success(
            RelayReport(sent=len(sent), failed=failed, dead_lettered=dead, waiting=waiting)
        )

    return transact(app, work)


def _publish(app: App, entry: OutboxEntry) -> str | None:
    try:
        app.publisher.publish(entry.envelope)
    except Exception as exc:  # any publisher failure is retried, never lost
        return f"{type(exc).__name__}: {exc}"
    return None


def relay_outbox(app: App, *, batch: int = 100) -> Result[int, AppError]:
    """Publish pending events in order and mark them sent; returns how many were sent."""
    return relay_batch(app, batch=batch).map(lambda report: report.sent)


def relay_until_idle(
    app: App, *, batch: int = 100, policy: RelayRetryPolicy = RelayRetryPolicy()
) -> Result[RelayReport, AppError]:
    """Relay batches until nothing is due (``crm outbox relay --once``)."""
    total = RelayReport()
    while True:
        step = relay_batch(app, batch=batch, policy=policy)
        if isinstance(step, Failure):
            return step
        report = step.unwrap()
        total += report
        if report.sent + report.dead_lettered == 0 or report.waiting:
            return Success(total)


def run_relay(
    app: App,
    *,
    batch: int = 100,
    policy: RelayRetryPolicy = RelayRetryPolicy(),
    idle_seconds: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> Result[RelayReport, AppError]:
    """Relay forever (until ``should_stop``), sleeping when idle or backing off."""
    total = RelayReport()
    while not should_stop():
        step = relay_until_idle(app, batch=batch, policy=policy)
        if isinstance(step, Success):
            total += step.unwrap()
        sleep(idle_seconds)
    return Success(total)


def outbox_status(app: App) -> Result[tuple[OutboxStats, list[OutboxEntry]], AppError]:
    """Counts per state and the dead letters (oldest first)."""
    return transact(
        app, lambda uow: Success((uow.outbox.stats(), list(uow.outbox.dead_letters(limit=1000))))
    )


def retry_dead_letters(app: App, *, event_ids: list[UUID] | None = None) -> Result[int, AppError]:
    """Put dead letters back in the stream (all, or the given ids)."""
    return transact(app, lambda uow: Success(uow.outbox.retry_dead(event_ids)))


Handler = Callable[[UnitOfWork, Envelope[DomainEvent]], None]


def consume(
    app: App, *, consumer: str, envelope: Envelope[DomainEvent], handle: Handler
) -> Result[bool, AppError]:
    """Apply ``handle`` to an event once per consumer, in one transaction with the claim.

    Returns ``False`` (and changes nothing) when ``consumer`` already processed this
    event id: re-delivery is harmless.
    """

    def work(uow: UnitOfWork) -> Result[bool, AppError]:
        if not uow.processed.claim(consumer, envelope.id, at=app.clock.now()):
            return Success(False)
        handle(uow, envelope)
        return Success(True)

    return transact(app, work)
