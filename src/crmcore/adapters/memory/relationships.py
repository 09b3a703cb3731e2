"""Memory adapter of the relationship repository."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crmcore.adapters.memory.database import Transaction
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import Relationship


class MemoryRelationshipRepository:
    """Relationships in memory."""

    table = "relationships"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, relationship: Relationship) -> None:
        self._tx.add(self.table, relationship)

    def get(self, relationship_id: UUID) -> Relationship | None:
        found: Relationship | None = self._tx.get(self.table, relationship_id)
        return found

    def remove(self, relationship_id: UUID) -> None:
        self._tx.delete(self.table, relationship_id)

    def _sorted(self, rows: list[Relationship]) -> list[Relationship]:
        return sorted(rows, key=lambda r: (r.created_at, str(r.id)))

    def for_account(self, account_id: AccountId) -> Sequence[Relationship]:
        return self._sorted([r for r in self._tx.rows(self.table) if r.account_id == account_id])

    def for_contact(self, contact_id: ContactId) -> Sequence[Relationship]:
        return self._sorted(
            [
                r
                for r in self._tx.rows(self.table)
                if contact_id in (r.contact_id, r.other_contact_id)
            ]
        )
