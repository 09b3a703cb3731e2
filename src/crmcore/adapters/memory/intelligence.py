"""Memory adapters of the intelligence ports: the same rules as SQL, computed in Python."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from crmcore.adapters.memory.database import Transaction as StagedTransaction
from crmcore.domain.account import Account
from crmcore.domain.contact import Contact
from crmcore.domain.filters import Filter, matches
from crmcore.domain.health import HealthRecord
from crmcore.domain.ids import ContactId
from crmcore.domain.rfm import CustomerRfm, RfmCounts, compute_rfm, segment_counts
from crmcore.domain.segment import Segment
from crmcore.domain.transaction import Transaction


class MemoryTransactionRepository:
    """Transactions in memory."""

    table = "transactions"

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def _rows(self) -> Iterable[Transaction]:
        return self._tx.rows(self.table)

    def add(self, transaction: Transaction) -> None:
        self._tx.add(self.table, transaction)

    def add_many(self, transactions: Sequence[Transaction]) -> int:
        seen = self.existing_external_ids(t.external_id for t in transactions)
        stored = 0
        for transaction in transactions:
            if transaction.external_id not in seen:
                seen.add(transaction.external_id)
                self.add(transaction)
                stored += 1
        return stored

    def existing_external_ids(self, external_ids: Iterable[str]) -> set[str]:
        wanted = set(external_ids)
        return {t.external_id for t in self._rows() if t.external_id in wanted}

    def list_for(self, customer: ContactId) -> Sequence[Transaction]:
        rows = [t for t in self._rows() if t.customer == customer]
        return sorted(rows, key=lambda t: (t.occurred_at, t.id))

    def rfm(self, *, as_of: date) -> Sequence[CustomerRfm[ContactId]]:
        history = ((t.customer, t.occurred_at, t.amount.amount) for t in self._rows())
        return sorted(compute_rfm(history, as_of=as_of), key=lambda r: r.customer)

    def rfm_counts(self, *, as_of: date) -> RfmCounts:
        return RfmCounts.from_segments(segment_counts(self.rfm(as_of=as_of)))


class MemorySegmentRepository:
    """Segments in memory."""

    table = "segments"

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def get_by_name(self, name: str) -> Segment | None:
        return next((s for s in self._tx.rows(self.table) if s.name == name), None)

    def add(self, segment: Segment) -> None:
        self._tx.add(self.table, segment)

    def save(self, segment: Segment) -> None:
        self._tx.save(self.table, segment)

    def list(self) -> Sequence[Segment]:
        return sorted(self._tx.rows(self.table), key=lambda s: s.name)


@attrs.frozen
class _Due:
    """A customer marked for reassessment (keyed by the contact's id)."""

    id: UUID
    since: datetime
    version: int = 1


class MemoryHealthRepository:
    """Health history and reassessment marks in memory."""

    table = "health_scores"
    due_table = "health_due"

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def add(self, record: HealthRecord) -> None:
        self._tx.add(self.table, record)

    def add_many(self, records: Sequence[HealthRecord]) -> None:
        for record in records:
            self.add(record)

    def latest_of(self, customers: Collection[ContactId]) -> dict[ContactId, HealthRecord]:
        wanted = set(customers)
        newest: dict[ContactId, HealthRecord] = {}
        for row in self._tx.rows(self.table):
            if row.customer not in wanted:
                continue
            seen = newest.get(row.customer)
            if seen is None or (row.computed_at, row.id) > (seen.computed_at, seen.id):
                newest[row.customer] = row
        return newest

    def history(self, customer: ContactId) -> Sequence[HealthRecord]:
        rows = [r for r in self._tx.rows(self.table) if r.customer == customer]
        return sorted(rows, key=lambda r: (r.computed_at, r.id))

    def latest(self, customer: ContactId) -> HealthRecord | None:
        rows = self.history(customer)
        return rows[-1] if rows else None

    def latest_all(self) -> Sequence[HealthRecord]:
        newest: dict[ContactId, HealthRecord] = {}
        for row in self._tx.rows(self.table):
            seen = newest.get(row.customer)
            if seen is None or (row.computed_at, row.id) > (seen.computed_at, seen.id):
                newest[row.customer] = row
        return sorted(newest.values(), key=lambda r: r.customer)

    def mark_due(self, customers: Collection[ContactId], *, at: datetime) -> None:
        for customer in customers:
            if self._tx.get(self.due_table, customer) is None:
                self._tx.add(self.due_table, _Due(id=customer, since=at))

    def take_due(self, limit: int) -> Sequence[ContactId]:
        taken = sorted((ContactId(d.id) for d in self._tx.rows(self.due_table)), key=str)
        taken = taken[: max(limit, 0)]
        for customer in taken:
            self._tx.delete(self.due_table, customer)
        return taken

    def due_count(self) -> int:
        return sum(1 for _ in self._tx.rows(self.due_table))

    def purge_before(self, cutoff: datetime) -> int:
        keep = {r.id for r in self.latest_all()}
        doomed = [
            r.id for r in self._tx.rows(self.table) if r.computed_at < cutoff and r.id not in keep
        ]
        for key in doomed:
            self._tx.delete(self.table, key)
        return len(doomed)


def customer_facts(
    contact: Contact,
    account: Account | None,
    transactions: Sequence[Transaction],
    health: HealthRecord | None,
    owner: str | None = None,
) -> dict[str, Any]:
    """One contact's values of every field of the customer filter catalogue."""
    facts: dict[str, Any] = {
        "contact.user_id": contact.user_id,
        "contact.email": str(contact.email) if contact.email is not None else None,
        "contact.phone": contact.phone.e164 if contact.phone is not None else None,
        "contact.first_name": contact.name.first or None,
        "contact.last_name": contact.name.last or None,
        "contact.role": contact.role,
        "contact.lifecycle": contact.lifecycle,
        "contact.preferred_channel": contact.preferred_channel,
        "contact.archived": contact.archived,
        "contact.created_at": contact.created_at,
        "account.name": account.name if account else None,
        "account.type": account.type if account else None,
        "account.industry": account.industry if account else None,
        "account.region": account.region if account else None,
        "account.size_range": account.size_range if account else None,
        "behaviour.transactions": len(transactions),
        "behaviour.monetary": sum((t.amount.amount for t in transactions), Decimal(0))
        if transactions
        else None,
        "behaviour.first_transaction_at": min((t.occurred_at for t in transactions), default=None),
        "behaviour.last_transaction_at": max((t.occurred_at for t in transactions), default=None),
        "score.health": health.score if health else None,
        "score.health_level": health.level if health else None,
        "card.owner": owner,
    }
    return facts


class MemoryAudience:
    """Filters evaluated in Python over every contact's facts."""

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def members(self, node: Filter, *, now: datetime) -> Sequence[ContactId]:
        accounts = {a.id: a for a in self._tx.rows("accounts")}
        by_customer: dict[ContactId, list[Transaction]] = {}
        for t in self._tx.rows("transactions"):
            by_customer.setdefault(t.customer, []).append(t)
        health = {r.customer: r for r in MemoryHealthRepository(self._tx).latest_all()}
        owners = {card.id: card.holder for card in self._tx.rows("loyalty_cards")}
        out = []
        for contact in self._tx.rows("contacts"):
            if contact.archived:
                continue
            account = accounts.get(contact.account_id) if contact.account_id else None
            facts = customer_facts(
                contact,
                account,
                by_customer.get(contact.id, []),
                health.get(contact.id),
                owners.get(contact.id),
            )
            if matches(node, facts, now=now):
                out.append(contact.id)
        return sorted(out)
