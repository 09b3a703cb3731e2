"""The memory unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from crmcore.adapters.memory.access import (
    MemoryApiKeys,
    MemoryIdempotency,
    MemoryWebhookSubscriptions,
)
from crmcore.adapters.memory.analytics import (
    MemoryAlertLog,
    MemoryAnalytics,
    MemoryMeasurementLog,
)
from crmcore.adapters.memory.clv import MemoryClvStore
from crmcore.adapters.memory.database import MemoryDatabase, OutboxRow, Transaction
from crmcore.adapters.memory.intelligence import (
    MemoryAudience,
    MemoryHealthRepository,
    MemorySegmentRepository,
    MemoryTransactionRepository,
)
from crmcore.adapters.memory.loyalty import MemoryCardRepository, MemoryLoyaltyFacts, MemoryMoveLog
from crmcore.adapters.memory.marketing import (
    MemoryCampaignRepository,
    MemoryConsentRegistry,
    MemoryDeliveryQueue,
    MemoryEnrollmentRepository,
    MemoryTemplateRepository,
)
from crmcore.adapters.memory.merge import (
    MemoryAccountReferences,
    MemoryContactReferences,
    MemoryMergeLog,
)
from crmcore.adapters.memory.privacy import MemoryPersonalData, MemoryRetention
from crmcore.adapters.memory.relationships import MemoryRelationshipRepository
from crmcore.adapters.memory.repositories import (
    MemoryAccountRepository,
    MemoryActivityRepository,
    MemoryContactRepository,
    MemoryDealRepository,
    MemoryLeadRepository,
)
from crmcore.domain.account_merge import AccountMergeRecord
from crmcore.domain.contact_merge import MergeRecord
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.events import OutboxEntry, OutboxStats, OutboxStatus
from crmcore.ports.system import Clock, IdSource


def _status(row: OutboxRow) -> OutboxStatus:
    if row.sent:
        return OutboxStatus.SENT
    return OutboxStatus.DEAD if row.dead else OutboxStatus.PENDING


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        envelope=row.envelope,
        status=_status(row),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
    )


class MemoryOutbox:
    """The outbox as one transaction sees it (changes apply at commit)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None:
        self._tx.outbox.extend(envelopes)

    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]:
        return [e.envelope for e in self.pending_entries(limit=limit)]

    def mark_sent(self, event_ids: Sequence[UUID]) -> None:
        self._tx.sent.update(event_ids)

    def pending_entries(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        rows = [
            r
            for r in self._tx.db.outbox
            if not r.sent and not r.dead and r.envelope.id not in self._tx.sent
        ]
        return [_entry(r) for r in rows[:limit]]

    def mark_failed(self, event_id: UUID, *, error: str, retry_at: datetime | None) -> None:
        def change(row: OutboxRow) -> None:
            if row.envelope.id == event_id and not row.sent:
                row.attempts += 1
                row.last_error = error
                row.next_attempt_at = retry_at
                row.dead = retry_at is None

        self._tx.outbox_changes.append(change)

    def dead_letters(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        return [_entry(r) for r in self._tx.db.outbox if r.dead and not r.sent][:limit]

    def retry_dead(self, event_ids: Sequence[UUID] | None = None) -> int:
        wanted = None if event_ids is None else set(event_ids)
        chosen = {
            r.envelope.id
            for r in self._tx.db.outbox
            if r.dead and not r.sent and (wanted is None or r.envelope.id in wanted)
        }

        def change(row: OutboxRow) -> None:
            if row.envelope.id in chosen:
                row.dead = False
                row.attempts = 0
                row.next_attempt_at = None

        self._tx.outbox_changes.append(change)
        return len(chosen)

    def stats(self) -> OutboxStats:
        rows = self._tx.db.outbox
        pending = [r for r in rows if _status(r) == OutboxStatus.PENDING]
        return OutboxStats(
            pending=len(pending),
            sent=sum(1 for r in rows if r.sent),
            dead=sum(1 for r in rows if _status(r) == OutboxStatus.DEAD),
            oldest_pending=pending[0].envelope.occurred_at if pending else None,
        )


class MemoryProcessedMessages:
    """Processed event ids per consumer (claims apply at commit)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def claim(self, consumer: str, event_id: UUID, *, at: datetime) -> bool:
        key = (consumer, event_id)
        if key in self._tx.db.processed or key in self._tx.claims:
            return False
        self._tx.claims.add(key)
        return True


class MemoryUnitOfWork:
    """Repositories over one staged transaction of a :class:`MemoryDatabase`."""

    def __init__(self, db: MemoryDatabase, *, clock: Clock, ids: IdSource) -> None:
        self._clock = clock
        self._ids = ids
        self._tx = Transaction(db)
        self._events: list[DomainEvent] = []
        self._handed = 0  # how many of the recorded events the bus has collected
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
        self.processed = MemoryProcessedMessages(self._tx)
        self.retention = MemoryRetention(self._tx)
        self.personal_data = MemoryPersonalData(self._tx)
        self.clv = MemoryClvStore(self._tx)
        self.references = MemoryContactReferences(self._tx)
        self.merges = MemoryMergeLog[MergeRecord](self._tx, "contact_merges")
        self.account_references = MemoryAccountReferences(self._tx)
        self.account_merges = MemoryMergeLog[AccountMergeRecord](self._tx, "account_merges")
        self.analytics = MemoryAnalytics(self._tx)
        self.alerts = MemoryAlertLog(self._tx)
        self.measurements = MemoryMeasurementLog(self._tx)
        self.api_keys = MemoryApiKeys(self._tx)
        self.idempotency = MemoryIdempotency(self._tx)
        self.webhooks = MemoryWebhookSubscriptions(self._tx)
        self.templates = MemoryTemplateRepository(self._tx)
        self.campaigns = MemoryCampaignRepository(self._tx)
        self.deliveries = MemoryDeliveryQueue(self._tx)
        self.consents = MemoryConsentRegistry(self._tx)
        self.enrollments = MemoryEnrollmentRepository(self._tx)
        self.relationships = MemoryRelationshipRepository(self._tx)

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

    def collect_new_events(self) -> Sequence[DomainEvent]:
        """The events recorded since the last call (still written at commit)."""
        new = self._events[self._handed :]
        self._handed = len(self._events)
        return new

    def commit(self) -> None:
        """Stamp the recorded events, stage them in the outbox, apply everything."""
        at = self._clock.now()
        self.outbox.append(
            [Envelope(id=self._ids.new(), occurred_at=at, payload=e) for e in self._events]
        )
        self._events.clear()
        self._handed = 0
        self._tx.commit()

    def rollback(self) -> None:
        """Discard staged writes and recorded events."""
        self._events.clear()
        self._handed = 0
        self._tx.rollback()
