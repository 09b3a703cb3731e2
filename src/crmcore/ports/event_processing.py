"""Ports of the event pipeline: inbox, failed events, review queue, analysers, facts.

The stores take part in the unit of work (:class:`EventUnitOfWork`), so applying an
event and marking it done commit together: that is what makes processing exactly-once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from uuid import UUID

from crmcore.domain.facts import Fact, FactLedger
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import (
    AcceptedEvent,
    FailedEvent,
    FailedStatus,
    InboxEntry,
    InboxStatus,
    Lease,
)
from crmcore.domain.insight import CustomerFacts, Insight
from crmcore.domain.review import ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import Sentiment
from crmcore.ports.uow import UnitOfWork


class DownstreamUnavailable(Exception):
    """A model or service the pipeline calls is down; the event is retried later."""


class Inbox(Protocol):
    """Accepted events, keyed by the producer's event id."""

    def add_many(self, entries: Sequence[InboxEntry]) -> int:
        """Store entries whose event id is new; returns how many were new."""
        ...

    def accept_many(self, events: Sequence[AcceptedEvent], *, at: datetime) -> int:
        """Store validated events whose id is new as pending entries received and due at
        ``at`` (what :meth:`AcceptedEvent.entry` gives); returns how many were new."""
        ...

    def get(self, event_id: str) -> InboxEntry | None: ...
    def get_many(self, event_ids: Sequence[str]) -> Mapping[str, InboxEntry]:
        """The stored entries of ``event_ids`` (those that exist), by event id."""
        ...

    def lock_due(self, *, now: datetime, limit: int) -> Sequence[InboxEntry]:
        """Due entries in time order, locked for this transaction; others skip them."""
        ...

    def claim_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        """Claim up to ``limit`` due entries, in time order, as :meth:`InboxEntry.claim`
        does; returns them as stored once the transaction commits (one statement where
        the store allows)."""
        ...

    def take_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        """Up to ``limit`` due entries, in time order, as :meth:`InboxEntry.claim` leaves
        them but with the claim *not* stored and their stored ``version``: for a worker
        that applies them and stores their outcome (:meth:`mark_taken_done`, :meth:`save`)
        in this same transaction, so a crash leaves them due. Where several workers
        compete (PostgreSQL) use :meth:`claim_due`; a concurrent change is still
        detected by the version checks."""
        ...

    def mark_taken_done(self, entries: Sequence[InboxEntry], *, at: datetime) -> None:
        """Store entries of :meth:`take_due` as :meth:`InboxEntry.done` (one statement where
        the store allows); ``ConcurrentModification`` unless each is still at its version."""
        ...

    def save(self, entry: InboxEntry) -> None:
        """Store a changed entry; ``ConcurrentModification`` if it changed since read."""
        ...

    def save_many(self, entries: Sequence[InboxEntry]) -> None:
        """:meth:`save` for many entries at once (one statement where the store allows)."""
        ...

    def mark_done(self, event_ids: Sequence[str], *, token: UUID, at: datetime) -> None:
        """Mark entries still held by the claim ``token`` done, all at once.

        ``ConcurrentModification`` (and nothing changed) unless every one is still held.
        """
        ...

    def renew(self, token: UUID, *, until: datetime) -> int:
        """Extend the lease of the entries still held by the claim ``token`` to ``until``
        (a worker's heartbeat); their version does not move, so the claim's own later
        writes still match. Returns how many entries it still holds."""
        ...

    def leases(self, *, now: datetime) -> Sequence[Lease]:
        """The live leases (processing entries whose lease is not over) by worker."""
        ...

    def counts(self) -> Mapping[InboxStatus, int]: ...
    def list(
        self, *, status: InboxStatus | None = None, limit: int = 100
    ) -> Sequence[InboxEntry]: ...


class FailedEvents(Protocol):
    """Input that could not be accepted, kept with its reasons."""

    def add(self, failed: FailedEvent) -> None: ...
    def add_many(self, failed: Sequence[FailedEvent]) -> None:
        """:meth:`add` for many failed events at once (one statement where it can)."""
        ...

    def get(self, failed_id: UUID) -> FailedEvent | None: ...
    def save(self, failed: FailedEvent) -> None: ...
    def list(
        self, *, status: FailedStatus | None = FailedStatus.OPEN, limit: int = 100
    ) -> Sequence[FailedEvent]: ...


class ReviewQueue(Protocol):
    """Items waiting for an operator."""

    def add(self, item: ReviewItem) -> None: ...
    def add_many(self, items: Sequence[ReviewItem]) -> None:
        """:meth:`add` for many items at once."""
        ...

    def get(self, item_id: UUID) -> ReviewItem | None: ...
    def save(self, item: ReviewItem) -> None: ...
    def list(
        self,
        *,
        status: ReviewStatus | None = ReviewStatus.OPEN,
        reason: ReviewReason | None = None,
        limit: int = 100,
    ) -> Sequence[ReviewItem]: ...


class FactSink(Protocol):
    """Derived facts per customer, idempotent by (event id, kind, name).

    What reacts to a fact (transactions, the board, health) does so through the message
    bus, not here.
    """

    def record_many(self, facts: Sequence[Fact]) -> None:
        """Record the facts whose key is new."""
        ...

    def facts_of(self, contact_ids: Collection[ContactId]) -> Mapping[ContactId, Sequence[Fact]]:
        """Every fact of these contacts in time order; contacts with none are left out."""
        ...

    def health_facts_of(
        self, contact_ids: Collection[ContactId], *, now: datetime
    ) -> Mapping[ContactId, Sequence[Fact]]:
        """Just the facts health reads at ``now``: what
        :func:`~crmcore.domain.health_signals.health_facts` keeps of each contact's
        :meth:`facts_of` (contacts left with none are left out), read in one query where
        the store can."""
        ...

    def latest_nps_of(self, contact_ids: Collection[ContactId]) -> Mapping[ContactId, Fact]:
        """Each contact's last ``loyalty``/``nps`` fact in the facts' order, whatever its
        value (contacts with none are left out); read without their other facts."""
        ...

    def facts_for(self, contact_id: ContactId) -> CustomerFacts:
        """One contact's facts, folded."""
        ...


class SentimentAnalyser(Protocol):
    """Classifies a text; raises :class:`DownstreamUnavailable` when it cannot answer now."""

    def analyse(self, text: str) -> Sentiment: ...


class CustomerInsight(Protocol):
    """The article's "LLM analytics" step: a status and reasons from a customer's facts."""

    def assess(self, facts: CustomerFacts) -> Insight: ...


@runtime_checkable
class LedgerInsight(CustomerInsight, Protocol):
    """An insight that also reads a customer's :class:`FactLedger` as it stands, without
    the :class:`CustomerFacts` copy: ``assess_ledger(l) == assess(l.facts())``."""

    def assess_ledger(self, ledger: FactLedger) -> Insight: ...


class EventUnitOfWork(UnitOfWork, Protocol):
    """The unit of work plus the pipeline's own stores, in the same transaction."""

    @property
    def inbox(self) -> Inbox: ...
    @property
    def failed_events(self) -> FailedEvents: ...
    @property
    def review_queue(self) -> ReviewQueue: ...
    @property
    def facts(self) -> FactSink: ...
