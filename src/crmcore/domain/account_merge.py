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
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.account import Account
from crmcore.domain.errors import RuleViolation
from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import AccountId

#: Fields the kept account takes from the other when it has none.
FILLABLE = ("industry", "size_range", "website", "region", "billing_address")
#: The attribute that names the account a merged-away one went into.
MERGED_INTO = "merged_into"


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


def account_merged_into(account: Account) -> AccountId | None:
    """The account this one was merged into, if it was."""
    target = account.attributes.get(MERGED_INTO)
    return AccountId(UUID(str(target))) if target else None


def merge_account_pair(
    keep: Account, other: Account, *, at: datetime
) -> Result[tuple[Account, Account], RuleViolation]:
    """The kept account filled from the other, and the other marked as merged."""
    if keep.id == other.id:
        return Failure(RuleViolation(rule="merge", detail="an account cannot merge into itself"))
    for account in (keep, other):
        if account_merged_into(account) is not None:
            return Failure(
                RuleViolation(rule="merge", detail=f"account {account.id} is already merged")
            )
    fills: dict[str, Any] = {
        name: getattr(other, name)
        for name in FILLABLE
        if getattr(keep, name) is None and getattr(other, name) is not None
    }
    attributes = {**other.attributes, **keep.attributes}
    new_keep = attrs.evolve(keep, **fills, attributes=attributes, updated_at=at)
    new_other = attrs.evolve(
        other, attributes={**other.attributes, MERGED_INTO: str(keep.id)}, updated_at=at
    )
    return Success((new_keep, new_other))


def restore_accounts(
    record: AccountMergeRecord, keep_now: Account, other_now: Account
) -> tuple[Account, Account]:
    """Both accounts as they were before the merge, at their current versions."""
    return (
        attrs.evolve(record.keep_before, version=keep_now.version),
        attrs.evolve(record.other_before, version=other_now.version),
    )


def undo_account_merge(
    record: AccountMergeRecord, *, at: datetime
) -> Result[AccountMergeRecord, RuleViolation]:
    """The record marked undone (once)."""
    if record.undone_at is not None:
        return Failure(RuleViolation(rule="unmerge", detail=f"merge {record.id} is already undone"))
    return Success(attrs.evolve(record, undone_at=at))
