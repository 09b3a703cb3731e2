"""Merging two accounts that are one organisation, and undoing it.

The kept account takes every empty field it lacks from the other (industry, size range,
website, region, billing address) and every attribute key it does not have; what it
already holds is never overwritten. The other account stays stored, marked with where it
went (``attributes["merged_into"]``), with nothing left pointing at it. The record keeps
both accounts exactly as they were and the rows moved, so an undo puts everything back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.account import Account
from crmcore.domain.errors import RuleViolation
from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import AccountId
from crmcore.domain.record_merge import MERGED_INTO as MERGED_INTO
from crmcore.domain.record_merge import (
    filled,
    fills,
    marked,
    refusal,
    restored,
    undone,
)

#: Fields the kept account takes from the other when it has none.
FILLABLE = ("industry", "size_range", "website", "region", "billing_address")


@attrs.frozen(kw_only=True)
class AccountMergeRecord:
    """Who merged which account into which, when and why, with the before-images."""

    id: UUID
    keep_id: AccountId
    other_id: AccountId
    reason: str
    by: str | None
    at: datetime
    keep_before: Account
    other_before: Account
    #: reference kind → keys of the rows that moved from the other account to the kept one
    moved: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    undone_at: datetime | None = None


@event_type("crm.account.merged")
@attrs.frozen(kw_only=True)
class AccountMerged(DomainEvent):
    """Two accounts were one organisation: ``other_id`` now lives on as ``keep_id``."""

    merge_id: UUID
    keep_id: AccountId
    other_id: AccountId
    reason: str
    by: str | None = None


@event_type("crm.account.unmerged")
@attrs.frozen(kw_only=True)
class AccountUnmerged(DomainEvent):
    """An account merge was undone: both accounts are back as they were."""

    merge_id: UUID
    keep_id: AccountId
    other_id: AccountId
    by: str | None = None


def merge_account_pair(
    keep: Account, other: Account, *, at: datetime
) -> Result[tuple[Account, Account], RuleViolation]:
    """The kept account filled from the other, and the other marked as merged."""
    refused = refusal(keep, other, noun="account", article="an")
    if refused is not None:
        return Failure(refused)
    taken = fills(keep, other, FILLABLE)
    return Success((filled(keep, other, taken, at=at), marked(other, keep, at=at)))


def restore_accounts(
    record: AccountMergeRecord, keep_now: Account, other_now: Account
) -> tuple[Account, Account]:
    """Both accounts as they were before the merge, at their current versions."""
    return restored(record.keep_before, record.other_before, keep_now, other_now)


def undo_account_merge(
    record: AccountMergeRecord, *, at: datetime
) -> Result[AccountMergeRecord, RuleViolation]:
    """The record marked undone (once)."""
    return undone(record, at=at)
