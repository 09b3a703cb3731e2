"""Use cases: merge two contacts that are one person, and undo a merge.

A merge moves every row that names the other contact (``ContactReferences``: activities,
deals, transactions, facts, loyalty card and facts, health, campaign deliveries, review
items) to the kept one, combines both contacts' loyalty facts when each has some, fills
the kept contact's empty fields from the other, archives
the other as merged, and records who, when, why and the before-image
(:class:`~crmcore.domain.contact_merge.MergeRecord`), all in one unit of work. An undo
moves the same rows back and restores both contacts as they were.
"""

from __future__ import annotations

from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.contact_merge import (
    ContactMerged,
    ContactUnmerged,
    MergeRecord,
    merge_pair,
    restore,
    undo,
)
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty_metrics import combine_facts
from crmcore.ports.uow import UnitOfWork


def merge_contacts(
    app: App, keep_id: ContactId, other_id: ContactId, *, reason: str = "", by: str | None = None
) -> Result[MergeRecord, AppError]:
    """Merge ``other_id`` into ``keep_id``; merging the same pair again returns the same
    record."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[MergeRecord, AppError]:
        done = uow.merges.active_for(other_id)
        if done is not None and done.keep_id == keep_id:
            return Success(done)
        keep = uow.contacts.get(keep_id)
        other = uow.contacts.get(other_id)
        if keep is None or other is None:
            missing = keep_id if keep is None else other_id
            return Failure(NotFound(kind="contact", key=str(missing)))
        pair = merge_pair(keep, other, at=now)
        if isinstance(pair, Failure):
            return Failure(pair.failure())
        new_keep, new_other = pair.unwrap()
        keep_facts = uow.loyalty_facts.get(keep_id)
        other_facts = uow.loyalty_facts.get(other_id)
        combined = keep_facts is not None and other_facts is not None
        if keep_facts is not None and other_facts is not None:
            # both have facts: the kept one gets their union; the other keeps its own
            uow.loyalty_facts.put(keep_id, combine_facts(keep_facts, other_facts))
        moved = uow.references.move(uow.references.find(other_id), source=other_id, target=keep_id)
        record = MergeRecord(
            id=app.ids.new(),
            keep_id=keep_id,
            other_id=other_id,
            reason=reason,
            by=by,
            at=now,
            keep_before=keep,
            other_before=other,
            moved=moved,
            keep_facts_before=keep_facts if combined else None,
        )
        uow.contacts.save(new_other)  # first: it gives up the unique keys that move
        uow.contacts.save(new_keep)
        uow.merges.add(record)
        uow.record(
            ContactMerged(
                merge_id=record.id, keep_id=keep_id, other_id=other_id, reason=reason, by=by
            )
        )
        return Success(record)

    return transact(app, work)


def unmerge_contacts(
    app: App, merge_id: UUID, *, by: str | None = None
) -> Result[MergeRecord, AppError]:
    """Undo a merge: the moved rows go back and both contacts are restored."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[MergeRecord, AppError]:
        record = uow.merges.get(merge_id)
        if record is None:
            return Failure(NotFound(kind="merge", key=str(merge_id)))
        undone = undo(record, at=now)
        if isinstance(undone, Failure):
            return Failure(undone.failure())
        keep_now = uow.contacts.get(record.keep_id)
        other_now = uow.contacts.get(record.other_id)
        if keep_now is None or other_now is None:
            missing = record.keep_id if keep_now is None else record.other_id
            return Failure(NotFound(kind="contact", key=str(missing)))
        back_keep, back_other = restore(record, keep_now, other_now)
        uow.references.move(record.moved, source=record.keep_id, target=record.other_id)
        if record.keep_facts_before is not None:
            uow.loyalty_facts.put(record.keep_id, record.keep_facts_before)
        uow.contacts.save(back_keep)  # first: it gives back the unique keys it took
        uow.contacts.save(back_other)
        uow.merges.save(undone.unwrap())
        uow.record(
            ContactUnmerged(
                merge_id=record.id, keep_id=record.keep_id, other_id=record.other_id, by=by
            )
        )
        return Success(undone.unwrap())

    return transact(app, work)
