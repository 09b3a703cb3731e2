"""Memory adapters of the merge ports, over the same staged transaction.

The kinds are those of the SQL schema (``table.column``); kinds the memory store keeps
nothing for (the RFM summary) are covered and always empty. Campaign deliveries and
sequence enrolments keep their row id when they move (as in SQL); an enrolment in a
sequence the target is already in stays with the source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs

from crmcore.adapters.memory.database import HeldRows, Transaction
from crmcore.domain.account_merge import AccountMergeRecord
from crmcore.domain.contact_merge import MergeRecord
from crmcore.domain.ids import AccountId, ContactId
from crmcore.ports.merge import ACCOUNT_REFERENCE_KINDS, REFERENCE_KINDS

#: Rows that name a contact in a field: kind → (memory table, field).
PLAIN: dict[str, tuple[str, str]] = {
    "activities.contact_id": ("activities", "contact_id"),
    "deals.contact_id": ("deals", "contact_id"),
    "health_scores.contact_id": ("health_scores", "customer"),
    "pipeline_facts.contact_id": ("facts", "contact_id"),
    "relationships.contact_id": ("relationships", "contact_id"),
    "relationships.other_contact_id": ("relationships", "other_contact_id"),
    "transactions.contact_id": ("transactions", "customer"),
}
#: One row per contact, keyed by its id: kind → memory table.
KEYED: dict[str, str] = {
    "health_due.contact_id": "health_due",
    "loyalty_cards.id": "loyalty_cards",
    "loyalty_facts.id": "loyalty_facts",
}
#: Rows that name a contact in a field of the value they hold: kind → (table, value, field).
NESTED: dict[str, tuple[str, str, str]] = {
    "campaign_deliveries.contact_id": ("campaign_deliveries", "delivery", "contact_id"),
    "sequence_enrollments.contact_id": ("sequence_enrollments", "value", "contact_id"),
}
#: Of those, the kinds whose rows are unique per contact and these other fields: a row
#: whose other values the target already has stays with the source (as in SQL).
UNIQUE_WITH: dict[str, tuple[str, ...]] = {
    "campaign_deliveries.contact_id": ("campaign_id", "step"),
    "sequence_enrollments.contact_id": ("sequence_id",),
}
CANDIDATES = "review_items.candidates"


class MemoryContactReferences:
    """What names a contact, in memory."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def kinds(self) -> frozenset[str]:
        return REFERENCE_KINDS

    def find(self, contact_id: ContactId) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for kind, (table, field) in PLAIN.items():
            keys = [str(r.id) for r in self._tx.rows(table) if getattr(r, field) == contact_id]
            if keys:
                found[kind] = tuple(sorted(keys))
        for kind, (table, value, field) in NESTED.items():
            keys = [
                str(r.id)
                for r in self._tx.rows(table)
                if getattr(getattr(r, value), field) == contact_id
            ]
            if keys:
                found[kind] = tuple(sorted(keys))
        for kind, table in KEYED.items():
            if self._tx.get(table, contact_id) is not None:
                found[kind] = (str(contact_id),)
        items = [str(i.id) for i in self._tx.rows("review_items") if contact_id in i.candidates]
        if items:
            found[CANDIDATES] = tuple(sorted(items))
        return found

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: ContactId, target: ContactId
    ) -> dict[str, tuple[str, ...]]:
        moved: dict[str, tuple[str, ...]] = {}
        for kind, keys in rows.items():
            if not keys:
                continue
            if kind in PLAIN:
                table, field = PLAIN[kind]
                for key in keys:
                    row = self._tx.get(table, UUID(key))
                    if row is not None:
                        self._tx.save(table, attrs.evolve(row, **{field: target}))
                moved[kind] = tuple(keys)
            elif kind in NESTED:
                shifted = self._move_nested(kind, keys, source=source, target=target)
                if shifted:
                    moved[kind] = shifted
            elif kind in KEYED:
                table = KEYED[kind]
                row = self._tx.get(table, source)
                if row is None or self._tx.get(table, target) is not None:
                    continue
                self._tx.delete(table, source)
                self._tx.add(table, attrs.evolve(row, id=target, version=0))
                moved[kind] = (str(target),)
            elif kind == CANDIDATES:
                done = []
                for key in keys:
                    item = self._tx.get("review_items", UUID(key))
                    if item is None or source not in item.candidates:
                        continue
                    swapped = tuple(target if c == source else c for c in item.candidates)
                    self._tx.save("review_items", attrs.evolve(item, candidates=swapped))
                    done.append(key)
                if done:
                    moved[kind] = tuple(sorted(done))
        return moved

    def _move_nested(
        self, kind: str, keys: Sequence[str], *, source: ContactId, target: ContactId
    ) -> tuple[str, ...]:
        table, value, field = NESTED[kind]
        unique = UNIQUE_WITH.get(kind, ())

        def rest(held: Any) -> tuple[object, ...]:
            return tuple(getattr(held, u) for u in unique)

        taken = {
            rest(getattr(r, value))
            for r in self._tx.rows(table)
            if unique and getattr(getattr(r, value), field) == target
        }
        shifted: list[str] = []
        for key in keys:
            row: Any = self._tx.get(table, UUID(key))
            held = getattr(row, value) if row is not None else None
            if held is None or getattr(held, field) != source:
                continue
            if unique and rest(held) in taken:
                continue
            changed = attrs.evolve(held, **{field: target})
            self._tx.save(table, attrs.evolve(row, **{value: changed}))
            shifted.append(key)
        return tuple(shifted)


R = TypeVar("R", MergeRecord, AccountMergeRecord)


class MemoryMergeLog(Generic[R]):
    """Merges (of contacts or of accounts, by ``table``) in memory."""

    def __init__(self, tx: Transaction, table: str) -> None:
        self._held: HeldRows[R] = HeldRows(tx, table)

    def add(self, record: R) -> None:
        self._held.add(record.id, record)

    def get(self, merge_id: UUID) -> R | None:
        return self._held.get(merge_id)

    def save(self, record: R) -> None:
        self._held.put(record.id, record, only_existing=True)

    def active_for(self, other_id: UUID) -> R | None:
        rows = [r for r in self._held.values() if r.other_id == other_id and r.undone_at is None]
        return max(rows, key=lambda r: r.at) if rows else None


#: Rows that name an account in a field: kind → (memory table, field). Health scores
#: keep no account in memory (it is read through the contact): covered, always empty.
ACCOUNT_PLAIN: dict[str, tuple[str, str]] = {
    "contacts.account_id": ("contacts", "account_id"),
    "deals.account_id": ("deals", "account_id"),
    "relationships.account_id": ("relationships", "account_id"),
}


class MemoryAccountReferences:
    """What names an account, in memory."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def kinds(self) -> frozenset[str]:
        return ACCOUNT_REFERENCE_KINDS

    def find(self, account_id: AccountId) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for kind, (table, field) in ACCOUNT_PLAIN.items():
            keys = [str(r.id) for r in self._tx.rows(table) if getattr(r, field) == account_id]
            if keys:
                found[kind] = tuple(sorted(keys))
        return found

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: AccountId, target: AccountId
    ) -> dict[str, tuple[str, ...]]:
        moved: dict[str, tuple[str, ...]] = {}
        for kind, keys in rows.items():
            if kind not in ACCOUNT_PLAIN or not keys:
                continue
            table, field = ACCOUNT_PLAIN[kind]
            shifted = []
            for key in keys:
                row = self._tx.get(table, UUID(key))
                if row is not None and getattr(row, field) == source:
                    self._tx.save(table, attrs.evolve(row, **{field: target}))
                    shifted.append(key)
            if shifted:
                moved[kind] = tuple(shifted)
        return moved
