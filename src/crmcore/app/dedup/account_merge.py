"""Use cases: merge two accounts that are one organisation, and undo a merge.

A merge moves every row that names the other account (``AccountReferences``: contacts,
deals, health scores, relationships) to the kept one, fills the kept account's empty
fields from the other, marks the other as merged, and records who, when, why and both
before-images (:class:`~crmcore.domain.account_merge.AccountMergeRecord`), all in one
unit of work. An undo moves the same rows back and restores both accounts as they were.
"""

from __future__ import annotations

from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.account_merge import (
    AccountMerged,
    AccountMergeRecord,
    AccountUnmerged,
    merge_account_pair,
    restore_accounts,
    undo_account_merge,
)
from crmcore.domain.ids import AccountId
from crmcore.ports.uow import UnitOfWork


def merge_accounts(
    app: App, keep_id: AccountId, other_id: AccountId, *, reason: str = "", by: str | None = None
) -> Result[AccountMergeRecord, AppError]:
    """Merge account ``other_id`` into ``keep_id``."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[AccountMergeRecord, AppError]:
        keep = uow.accounts.get(keep_id)
        other = uow.accounts.get(other_id)
        if keep is None or other is None:
            missing = keep_id if keep is None else other_id
            return Failure(NotFound(kind="account", key=str(missing)))
        pair = merge_account_pair(keep, other, at=now)
        if isinstance(pair, Failure):
            return Failure(pair.failure())
        new_keep, new_other = pair.unwrap()
        refs = uow.account_references
        moved = refs.move(refs.find(other_id), source=other_id, target=keep_id)
        record = AccountMergeRecord(
            id=app.ids.new(),
            keep_id=keep_id,
            other_id=other_id,
            reason=reason,
            by=by,
            at=now,
            keep_before=keep,
            other_before=other,
            moved=moved,
        )
        uow.accounts.save(new_keep)
        uow.accounts.save(new_other)
        uow.account_merges.add(record)
        uow.record(
            AccountMerged(
                merge_id=record.id, keep_id=keep_id, other_id=other_id, reason=reason, by=by
            )
        )
        return Success(record)

    return transact(app, work)


def unmerge_accounts(
    app: App, merge_id: UUID, *, by: str | None = None
) -> Result[AccountMergeRecord, AppError]:
    """Undo an account merge: the moved rows go back and both accounts are restored."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[AccountMergeRecord, AppError]:
        record = uow.account_merges.get(merge_id)
        if record is None:
            return Failure(NotFound(kind="account merge", key=str(merge_id)))
        undone = undo_account_merge(record, at=now)
        if isinstance(undone, Failure):
            return Failure(undone.failure())
        keep_now = uow.accounts.get(record.keep_id)
        other_now = uow.accounts.get(record.other_id)
        if keep_now is None or other_now is None:
            missing = record.keep_id if keep_now is None else record.other_id
            return Failure(NotFound(kind="account", key=str(missing)))
        back_keep, back_other = restore_accounts(record, keep_now, other_now)
        uow.account_references.move(record.moved, source=record.keep_id, target=record.other_id)
        uow.accounts.save(back_keep)
        uow.accounts.save(back_other)
        uow.account_merges.save(undone.unwrap())
        uow.record(
            AccountUnmerged(
                merge_id=record.id, keep_id=record.keep_id, other_id=record.other_id, by=by
            )
        )
        return Success(undone.unwrap())

    return transact(app, work)
