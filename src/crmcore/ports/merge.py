"""Ports of contact merging: what refers to a contact, and the log of merges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol
from uuid import UUID

from crmcore.domain.account_merge import AccountMergeRecord
from crmcore.domain.contact_merge import MergeRecord
from crmcore.domain.ids import AccountId, ContactId

#: Every kind of reference a store must cover: ``table.column`` of each place that names a
#: contact (the contract test compares this with the SQL schema's foreign keys).
REFERENCE_KINDS = frozenset(
    {
        "activities.contact_id",
        "campaign_deliveries.contact_id",
        "customer_rfm.contact_id",
        "deals.contact_id",
        "health_due.contact_id",
        "health_scores.contact_id",
        "loyalty_cards.id",
        "loyalty_facts.id",
        "pipeline_facts.contact_id",
        "relationships.contact_id",
        "relationships.other_contact_id",
        "review_items.candidates",
        "sequence_enrollments.contact_id",
        "transactions.contact_id",
    }
)


class ContactReferences(Protocol):
    """Every row that names a contact, by kind, and moving them to another contact.

    Rows one per contact (a loyalty card, the RFM summary) move only when the target has
    none; otherwise they stay with the source. Likewise a campaign delivery or sequence
    enrolment (unique per contact and campaign step, or sequence) stays with the source
    when the target already has one.
    """

    def kinds(self) -> frozenset[str]:
        """The kinds of reference this store covers (``table.column``)."""
        ...

    def find(self, contact_id: ContactId) -> Mapping[str, tuple[str, ...]]:
        """The keys of the rows of each kind that name ``contact_id`` (kinds with none
        are left out)."""
        ...

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: ContactId, target: ContactId
    ) -> Mapping[str, tuple[str, ...]]:
        """Point those rows at ``target`` instead of ``source``; the keys actually moved."""
        ...


class MergeLog(Protocol):
    """Merges, with their before-images, so that each can be undone."""

    def add(self, record: MergeRecord) -> None: ...
    def get(self, merge_id: UUID) -> MergeRecord | None: ...
    def save(self, record: MergeRecord) -> None: ...
    def active_for(self, other_id: ContactId) -> MergeRecord | None:
        """The merge (not undone) that merged ``other_id`` away, if any."""
        ...


#: Every kind of reference to an account a store must cover (``table.column``; the
#: contract test compares this with the SQL schema's columns that name an account).
ACCOUNT_REFERENCE_KINDS = frozenset(
    {
        "contacts.account_id",
        "deals.account_id",
        "health_scores.account_id",
        "relationships.account_id",
    }
)


class AccountReferences(Protocol):
    """Every row that names an account, by kind, and moving them to another account."""

    def kinds(self) -> frozenset[str]:
        """The kinds of reference this store covers (``table.column``)."""
        ...

    def find(self, account_id: AccountId) -> Mapping[str, tuple[str, ...]]:
        """The keys of the rows of each kind that name ``account_id`` (kinds with none
        are left out)."""
        ...

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: AccountId, target: AccountId
    ) -> Mapping[str, tuple[str, ...]]:
        """Point those rows at ``target`` instead of ``source``; the keys actually moved."""
        ...


class AccountMergeLog(Protocol):
    """Account merges, with their before-images, so that each can be undone."""

    def add(self, record: AccountMergeRecord) -> None: ...
    def get(self, merge_id: UUID) -> AccountMergeRecord | None: ...
    def save(self, record: AccountMergeRecord) -> None: ...
