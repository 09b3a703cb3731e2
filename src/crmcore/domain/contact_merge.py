"""Merging two contacts that are one person, and undoing it.

The kept contact takes every empty field it lacks from the other (e-mail, phone, user id,
account, role, preferred channel) and every attribute key it does not have; what it
already holds is never overwritten. The other contact is archived, gives up the unique
keys that moved (e-mail, user id) and remembers where it went (``merged_into``). The
merge record keeps both contacts exactly as they were (the before-image) and the rows
that were moved to the kept contact, so an undo puts everything back. When both have
loyalty facts, the kept contact's become the combination of both
(:func:`~crmcore.domain.loyalty_metrics.combine_facts`) and the record keeps what they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.contact import Contact
from crmcore.domain.errors import RuleViolation
from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.domain.record_merge import MERGED_INTO as MERGED_INTO
from crmcore.domain.record_merge import (
    filled,
    fills,
    marked,
    merged_target,
    refusal,
    restored,
    undone,
)

#: Fields the kept contact takes from the other when it has none.
FILLABLE = ("email", "phone", "user_id", "account_id", "role", "preferred_channel")
#: Unique keys: the other contact gives them up when they move.
UNIQUE = ("email", "user_id")


@attrs.frozen(kw_only=True)
class MergeRecord:
    """Who merged which contact into which, when and why, with the before-image."""

    id: UUID
    keep_id: ContactId
    other_id: ContactId
    reason: str
    by: str | None
    at: datetime
    keep_before: Contact
    other_before: Contact
    #: reference kind → keys of the rows that moved from the other contact to the kept one
    moved: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    undone_at: datetime | None = None
    #: The kept contact's loyalty facts before the other's were combined into them (only
    #: when both had facts: otherwise the other's facts moved, or nothing happened).
    keep_facts_before: CustomerFacts | None = None


@event_type("crm.contact.merged")
@attrs.frozen(kw_only=True)
class ContactMerged(DomainEvent):
    """Two contacts were one person: ``other_id`` now lives on as ``keep_id``."""

    merge_id: UUID
    keep_id: ContactId
    other_id: ContactId
    reason: str
    by: str | None = None


@event_type("crm.contact.unmerged")
@attrs.frozen(kw_only=True)
class ContactUnmerged(DomainEvent):
    """A merge was undone: both contacts are back as they were."""

    merge_id: UUID
    keep_id: ContactId
    other_id: ContactId
    by: str | None = None


def merged_into(contact: Contact) -> ContactId | None:
    """The contact this one was merged into, if it was."""
    return cast(ContactId | None, merged_target(contact))


def merge_pair(
    keep: Contact, other: Contact, *, at: datetime
) -> Result[tuple[Contact, Contact], RuleViolation]:
    """The kept contact filled from the other, and the other archived as merged, giving up
    the unique keys that moved."""
    refused = refusal(keep, other, noun="contact")
    if refused is not None:
        return Failure(refused)
    taken = fills(keep, other, FILLABLE)
    given_up: dict[str, Any] = {name: None for name in UNIQUE if name in taken}
    return Success(
        (filled(keep, other, taken, at=at), marked(other, keep, at=at, archived=True, **given_up))
    )


def restore(record: MergeRecord, keep_now: Contact, other_now: Contact) -> tuple[Contact, Contact]:
    """Both contacts as they were before the merge, at their current versions."""
    return restored(record.keep_before, record.other_before, keep_now, other_now)


def undo(record: MergeRecord, *, at: datetime) -> Result[MergeRecord, RuleViolation]:
    """The record marked undone (once)."""
    return undone(record, at=at)
