"""Memory adapters of the pipeline ports, over the same staged :class:`Transaction`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

from crmcore.adapters.memory.database import MemoryDatabase, Transaction
from crmcore.adapters.memory.uow import MemoryUnitOfWork
from crmcore.domain.facts import Fact, FactKind, fold_facts
from crmcore.domain.health_signals import health_facts
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import (
    AcceptedEvent,
    FailedEvent,
    FailedStatus,
    InboxEntry,
    InboxStatus,
    Lease,
    customer_key,
    entry_key,
)
from crmcore.domain.insight import CustomerFacts
from crmcore.domain.review import ReviewItem, ReviewReason, ReviewStatus
from crmcore.ports.errors import ConcurrentModification
from crmcore.ports.system import Clock, IdSource


class MemoryInbox:
    """The inbox as one transaction sees it."""

    table = "inbox"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add_many(self, entries: Sequence[InboxEntry]) -> int:
        added = 0
        for entry in entries:
            if self._tx.get(self.table, entry.id) is None:
                self._tx.add(self.table, entry)
                added += 1
        return added

    def accept_many(self, events: Sequence[AcceptedEvent], *, at: datetime) -> int:
        return self.add_many([e.entry(at=at) for e in events])

    def get(self, event_id: str) -> InboxEntry | None:
        row: InboxEntry | None = self._tx.get(self.table, entry_key(event_id))
        return row

    def get_many(self, event_ids: Sequence[str]) -> dict[str, InboxEntry]:
        found = (self.get(event_id) for event_id in event_ids)
        return {e.event_id: e for e in found if e is not None}

    def lock_due(self, *, now: datetime, limit: int) -> Sequence[InboxEntry]:
        """The due entries in time order, but none of a customer a live lease holds
        (another worker is applying that customer's earlier events)."""
        rows = list(self._tx.rows(self.table))
        live = InboxStatus.PROCESSING
        held = {
            customer_key(e.payload)
            for e in rows
            if e.status is live and e.lease_until is not None and e.lease_until > now
        } - {None}
        due = [e for e in rows if e.is_due(now) and not (held and customer_key(e.payload) in held)]
        due.sort(key=_time_order)
        return due[:limit]

    def claim_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        claimed = [
            e.claim(worker=worker, token=token, now=now, lease=lease)
            for e in self.lock_due(now=now, limit=limit)
        ]
        self.save_many(claimed)
        return [attrs.evolve(e, version=e.version + 1) for e in claimed]

    def take_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        return [
            e.claim(worker=worker, token=token, now=now, lease=lease)
            for e in self.lock_due(now=now, limit=limit)
        ]

    def mark_taken_done(self, entries: Sequence[InboxEntry], *, at: datetime) -> None:
        self.save_many([e.done(at=at) for e in entries])

    def save(self, entry: InboxEntry) -> None:
        stored = self._tx.get(self.table, entry.id)
        if stored is None or stored.version != entry.version:
            raise ConcurrentModification(self.table, entry.event_id, entry.version)
        self._tx.save(self.table, entry)

    def save_many(self, entries: Sequence[InboxEntry]) -> None:
        for entry in entries:
            self.save(entry)

    def mark_done(self, event_ids: Sequence[str], *, token: UUID, at: datetime) -> None:
        held = []
        for event_id in event_ids:
            entry = self.get(event_id)
            if (
                entry is None
                or entry.status is not InboxStatus.PROCESSING
                or entry.claim_token != token
            ):
                raise ConcurrentModification(self.table, event_id, 0)
            held.append(entry)
        for entry in held:
            self._tx.save(self.table, entry.done(at=at))

    def renew(self, token: UUID, *, until: datetime) -> int:
        held = [
            e
            for e in self._tx.rows(self.table)
            if e.status is InboxStatus.PROCESSING and e.claim_token == token
        ]
        for entry in held:  # one writer in memory: the version moves, nobody minds
            self._tx.save(self.table, attrs.evolve(entry, lease_until=until))
        return len(held)

    def leases(self, *, now: datetime) -> Sequence[Lease]:
        found: dict[str | None, list[datetime]] = {}
        for e in self._tx.rows(self.table):
            if e.status is InboxStatus.PROCESSING and e.lease_until and e.lease_until > now:
                found.setdefault(e.claimed_by, []).append(e.lease_until)
        return [
            Lease(worker=w, events=len(times), until=max(times))
            for w, times in sorted(found.items(), key=lambda kv: kv[0] or "")
        ]

    def counts(self) -> Mapping[InboxStatus, int]:
        return Counter(e.status for e in self._tx.rows(self.table))

    def list(self, *, status: InboxStatus | None = None, limit: int = 100) -> Sequence[InboxEntry]:
        rows = [e for e in self._tx.rows(self.table) if status is None or e.status == status]
        rows.sort(key=_time_order)
        return rows[:limit]


def _time_order(entry: InboxEntry) -> tuple[datetime, str]:
    return (entry.occurred_at or entry.received_at, entry.event_id)


class MemoryFailedEvents:
    """Failed events in memory."""

    table = "failed_events"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, failed: FailedEvent) -> None:
        self._tx.add(self.table, failed)

    def add_many(self, failed: Sequence[FailedEvent]) -> None:
        for one in failed:
            self.add(one)

    def get(self, failed_id: UUID) -> FailedEvent | None:
        row: FailedEvent | None = self._tx.get(self.table, failed_id)
        return row

    def save(self, failed: FailedEvent) -> None:
        self._tx.save(self.table, failed)

    def list(
        self, *, status: FailedStatus | None = FailedStatus.OPEN, limit: int = 100
    ) -> Sequence[FailedEvent]:
        rows = [r for r in self._tx.rows(self.table) if status is None or r.status == status]
        rows.sort(key=lambda r: (r.received_at, r.id))
        return rows[:limit]


class MemoryReviewQueue:
    """Review items in memory."""

    table = "review_items"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, item: ReviewItem) -> None:
        self._tx.add(self.table, item)

    def add_many(self, items: Sequence[ReviewItem]) -> None:
        for item in items:
            self._tx.add(self.table, item)

    def get(self, item_id: UUID) -> ReviewItem | None:
        row: ReviewItem | None = self._tx.get(self.table, item_id)
        return row

    def save(self, item: ReviewItem) -> None:
        self._tx.save(self.table, item)

    def list(
        self,
        *,
        status: ReviewStatus | None = ReviewStatus.OPEN,
        reason: ReviewReason | None = None,
        limit: int = 100,
    ) -> Sequence[ReviewItem]:
        rows = [
            r
            for r in self._tx.rows(self.table)
            if (status is None or r.status == status) and (reason is None or r.reason == reason)
        ]
        rows.sort(key=lambda r: (r.created_at, r.id))
        return rows[:limit]


@attrs.frozen(kw_only=True)
class FactRow:
    """One stored fact: a purchase, an engagement, a sentiment, a loyalty or billing fact."""

    id: UUID
    contact_id: ContactId
    event_id: str
    kind: str
    name: str = ""
    value: Any = None
    occurred_at: datetime
    version: int = 0

    @classmethod
    def of(cls, fact: Fact) -> FactRow:
        """The row of a fact, keyed by :func:`~crmcore.domain.facts.fact_key`."""
        return cls(
            id=fact.key,
            contact_id=fact.contact_id,
            event_id=fact.event_id,
            kind=fact.kind.value,
            name=fact.name,
            value=fact.value,
            occurred_at=fact.occurred_at,
        )

    @property
    def fact(self) -> Fact:
        """The fact this row stores."""
        return Fact(
            contact_id=self.contact_id,
            event_id=self.event_id,
            kind=FactKind(self.kind),
            name=self.name,
            value=self.value,
            occurred_at=self.occurred_at,
        )


class MemoryFactSink:
    """Every derived fact in one memory table, keyed by (kind, event, name)."""

    table = "facts"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def record_many(self, facts: Sequence[Fact]) -> None:
        for fact in facts:
            row = FactRow.of(fact)
            if self._tx.get(self.table, row.id) is None:
                self._tx.add(self.table, row)

    def rows(self, contact_id: ContactId | None = None) -> list[FactRow]:
        """Every fact (of one contact), in time order."""
        rows = [
            r for r in self._tx.rows(self.table) if contact_id is None or r.contact_id == contact_id
        ]
        rows.sort(key=lambda r: (r.occurred_at, r.event_id, r.kind, r.name))
        return rows

    def facts_of(self, contact_ids: Collection[ContactId]) -> dict[ContactId, list[Fact]]:
        wanted = set(contact_ids)
        out: dict[ContactId, list[Fact]] = {}
        for row in self.rows():
            if row.contact_id in wanted:
                out.setdefault(row.contact_id, []).append(row.fact)
        return out

    def health_facts_of(
        self, contact_ids: Collection[ContactId], *, now: datetime
    ) -> dict[ContactId, list[Fact]]:
        out: dict[ContactId, list[Fact]] = {}
        for contact_id, facts in self.facts_of(contact_ids).items():
            kept = health_facts(facts, now=now)
            if kept:
                out[contact_id] = kept
        return out

    def latest_nps_of(self, contact_ids: Collection[ContactId]) -> dict[ContactId, Fact]:
        out: dict[ContactId, Fact] = {}
        for contact_id, facts in self.facts_of(contact_ids).items():
            answers = [f for f in facts if f.kind is FactKind.LOYALTY and f.name == "nps"]
            if answers:
                out[contact_id] = answers[-1]  # facts_of is in the facts' order
        return out

    def facts_for(self, contact_id: ContactId) -> CustomerFacts:
        return fold_facts(self.facts_of([contact_id]).get(contact_id, ()))


class MemoryEventUnitOfWork(MemoryUnitOfWork):
    """The memory unit of work with the pipeline's stores in the same transaction."""

    def __init__(self, db: MemoryDatabase, *, clock: Clock, ids: IdSource) -> None:
        super().__init__(db, clock=clock, ids=ids)
        self.inbox = MemoryInbox(self._tx)
        self.failed_events = MemoryFailedEvents(self._tx)
        self.review_queue = MemoryReviewQueue(self._tx)
        self.facts = MemoryFactSink(self._tx)
