"""The memory unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from crmcore.adapters.memory.database import MemoryDatabase, Transaction
from crmcore.adapters.memory.intelligence import (
    MemoryAudience,
    MemoryHealthRepository,
    MemorySegmentRepository,
    MemoryTransactionRepository,
)
from crmcore.adapters.memory.loyalty import MemoryCardRepository, MemoryLoyaltyFacts, MemoryMoveLog
from crmcore.adapters.memory.repositories import (
    MemoryAccountRepository,
    MemoryActivityRepository,
    MemoryContactRepository,
    MemoryDealRepository,
    MemoryLeadRepository,
)
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.system import Clock, IdSource


class MemoryOutbox:
    """The outbox as one transaction sees it."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None:
        self._tx.outbox.extend(envelopes)

    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]:
        rows = [r.envelope for r in self._tx.db.outbox if not r.sent]
        return [e for e in rows if e.id not in self._tx.sent][:limit]

    def mark_sent(self, event_ids: Sequence[UUID]) -> None:
        self._tx.sent.update(event_ids)


class MemoryUnitOfWork:
    """Repositories over one staged transaction of a :class:`MemoryDatabase`."""

    def __init__(self, db: MemoryDatabase, *, clock: Clock, ids: IdSource) -> None:
        self._clock = clock
        self._ids = ids
        self._tx = Transaction(db)
        self._events: list[DomainEvent] = []
        self.leads = MemoryLeadRepository(self._tx)
        self.contacts = MemoryContactRepository(self._tx)
        self.accounts = MemoryAccountRepository(self._tx)
        self.deals = MemoryDealRepository(self._tx)
        self.activities = MemoryActivityRepository(self._tx)
        self.outbox = MemoryOutbox(self._tx)
        self.transactions = MemoryTransactionRepository(self._tx)
        self.segments = MemorySegmentRepository(self._tx)
        self.audience = MemoryAudience(self._tx)
        self.health = MemoryHealthRepository(self._tx)
        self.cards = MemoryCardRepository(self._tx)
        self.card_moves = MemoryMoveLog(self._tx)
        self.loyalty_facts = MemoryLoyaltyFacts(self._tx)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def record(self, *events: DomainEvent) -> None:
        """Keep events to write to the outbox at commit."""
        self._events.extend(events)

    def commit(self) -> None:
        """Stamp the recorded events, stage them in the outbox, apply everything."""
        at = self._clock.now()
        self.outbox.append(
            [Envelope(id=self._ids.new(), occurred_at=at, payload=e) for e in self._events]
        )
        self._events.clear()
        self._tx.commit()

    def rollback(self) -> None:
        """Discard staged writes and recorded events."""
        self._events.clear()
        self._tx.rollback()
