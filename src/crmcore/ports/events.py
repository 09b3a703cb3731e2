"""Where recorded events go: the outbox (same transaction) and publishers (after)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import attrs

from crmcore.domain.events import DomainEvent, Envelope


class OutboxStatus(StrEnum):
    """Where an outbox entry is: waiting, delivered, or given up on (dead letter)."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """An event in the outbox with its delivery state."""

    envelope: Envelope[DomainEvent]
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@attrs.frozen(kw_only=True)
class OutboxStats:
    """How many events are in each state, and the oldest one still waiting."""

    pending: int = 0
    sent: int = 0
    dead: int = 0
    oldest_pending: datetime | None = None


class Outbox(Protocol):
    """Events waiting to be published, stored with the state change that made them."""

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None: ...
    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]: ...
    def mark_sent(self, event_ids: Sequence[UUID]) -> None: ...
    def pending_entries(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        """Pending entries in the order they were recorded, with their attempts."""
        ...

    def mark_failed(self, event_id: UUID, *, error: str, retry_at: datetime | None) -> None:
        """Count a failed attempt; retry at ``retry_at``, or dead-letter when it is None."""
        ...

    def dead_letters(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        """Entries given up on, oldest first."""
        ...

    def retry_dead(self, event_ids: Sequence[UUID] | None = None) -> int:
        """Put dead letters (all, or the given ones) back to pending; returns how many."""
        ...

    def stats(self) -> OutboxStats: ...


class ProcessedMessages(Protocol):
    """Event ids a consumer has already handled: re-delivery changes nothing twice."""

    def claim(self, consumer: str, event_id: UUID, *, at: datetime) -> bool:
        """Record ``event_id`` for ``consumer``; False when it was already processed."""
        ...


class EventPublisher(Protocol):
    """Delivers events to subscribers (a broker, a file, memory) at least once."""

    def publish(self, envelope: Envelope[DomainEvent]) -> None: ...
