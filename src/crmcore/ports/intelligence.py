"""Ports of customer intelligence: transactions, segments, health history.

Queries that run over many customers (RFM, segment members) are repository methods, so
the SQL adapters push them down to the database while the memory adapters compute them
in Python with the same domain rules.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from crmcore.domain.filters import Filter
from crmcore.domain.health import HealthRecord
from crmcore.domain.ids import ContactId
from crmcore.domain.rfm import CustomerRfm, RfmCounts
from crmcore.domain.segment import Segment
from crmcore.domain.transaction import Transaction


class TransactionRepository(Protocol):
    """Transactions, unique by ``external_id``; RFM computed where the data is."""

    def add(self, transaction: Transaction) -> None: ...
    def add_many(self, transactions: Sequence[Transaction]) -> int:
        """Store those whose ``external_id`` is not stored yet (nor earlier in the call);
        one lookup for the whole batch. Returns how many were stored."""
        ...

    def existing_external_ids(self, external_ids: Iterable[str]) -> set[str]:
        """Which of ``external_ids`` are already stored (the import's idempotency check)."""
        ...

    def list_for(self, customer: ContactId) -> Sequence[Transaction]:
        """A customer's transactions, oldest first."""
        ...

    def rfm(self, *, as_of: date) -> Sequence[CustomerRfm[ContactId]]:
        """R, F, M and segment of every customer with a transaction on or before ``as_of``."""
        ...

    def rfm_counts(self, *, as_of: date) -> RfmCounts:
        """Customers per segment and the active/sleeping split, without per-customer rows."""
        ...


class SegmentRepository(Protocol):
    """Segments by unique name."""

    def get_by_name(self, name: str) -> Segment | None: ...
    def add(self, segment: Segment) -> None: ...
    def save(self, segment: Segment) -> None: ...
    def list(self) -> Sequence[Segment]: ...


class Audience(Protocol):
    """Evaluates customer filters over contacts, accounts, behaviour and scores."""

    def members(self, node: Filter, *, now: datetime) -> Sequence[ContactId]:
        """The contacts (not archived) the filter selects at ``now``, ordered by id."""
        ...


class HealthRepository(Protocol):
    """Health scores with their factors; history kept for the retention period."""

    def add(self, record: HealthRecord) -> None: ...
    def add_many(self, records: Sequence[HealthRecord]) -> None:
        """Add many records at once (each customer must be a stored contact)."""
        ...

    def latest(self, customer: ContactId) -> HealthRecord | None: ...
    def latest_of(self, customers: Collection[ContactId]) -> Mapping[ContactId, HealthRecord]:
        """The newest record of each of ``customers`` that has one."""
        ...

    def latest_all(self) -> Sequence[HealthRecord]:
        """The newest record of every customer."""
        ...

    def history(self, customer: ContactId) -> Sequence[HealthRecord]:
        """A customer's records, oldest first."""
        ...

    def purge_before(self, cutoff: datetime) -> int:
        """Delete records computed before ``cutoff`` (but never a customer's latest)."""
        ...

    def mark_due(self, customers: Collection[ContactId], *, at: datetime) -> None:
        """Mark customers for reassessment (one mark each, however often marked; an
        existing mark keeps its ``at``)."""
        ...

    def take_due(self, limit: int) -> Sequence[ContactId]:
        """Remove up to ``limit`` marks, in id order, and return their customers; a
        rolled-back transaction leaves them marked."""
        ...

    def due_count(self) -> int:
        """How many customers are marked for reassessment."""
        ...
