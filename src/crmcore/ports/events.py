"""Where recorded events go: the outbox (same transaction) and publishers (after)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from crmcore.domain.events import DomainEvent, Envelope


class Outbox(Protocol):
    """Events waiting to be published, stored with the state change that made them."""

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None: ...
    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]: ...
    def mark_sent(self, event_ids: Sequence[UUID]) -> None: ...


class EventPublisher(Protocol):
    """Delivers events to subscribers (a broker, a file, memory) at least once."""

    def publish(self, envelope: Envelope[DomainEvent]) -> None: ...
