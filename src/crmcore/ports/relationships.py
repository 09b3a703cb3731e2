"""The relationship repository: contact ↔ account and contact ↔ contact links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import Relationship


class RelationshipRepository(Protocol):
    """Relationships by id, account and contact."""

    def add(self, relationship: Relationship) -> None: ...
    def get(self, relationship_id: UUID) -> Relationship | None: ...
    def remove(self, relationship_id: UUID) -> None: ...
    def for_account(self, account_id: AccountId) -> Sequence[Relationship]:
        """Every relationship to the account, oldest first."""
        ...

    def for_contact(self, contact_id: ContactId) -> Sequence[Relationship]:
        """Every relationship the contact is on, either side, oldest first."""
        ...
