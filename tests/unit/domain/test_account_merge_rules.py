"""The account merge's refusals and timestamps, written out (the contract suite checks
the reversible merge through the stores)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from returns.result import Failure

from crmcore.domain.account import Account
from crmcore.domain.account_merge import (
    MERGED_INTO,
    AccountMergeRecord,
    merge_account_pair,
    undo_account_merge,
)
from crmcore.domain.errors import RuleViolation
from crmcore.domain.ids import AccountId

BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _account(n: int, **fields: object) -> Account:
    return Account(
        id=AccountId(uuid.UUID(int=n)),
        name=f"Acme {n}",
        created_at=BEFORE,
        updated_at=BEFORE,
        **fields,  # type: ignore[arg-type]
    )


def test_an_account_cannot_merge_into_itself() -> None:
    one = _account(1)
    assert merge_account_pair(one, one, at=AT) == Failure(
        RuleViolation(rule="merge", detail="an account cannot merge into itself")
    )


def test_an_account_already_merged_cannot_merge_again() -> None:
    keep, gone = _account(1), _account(2, attributes={MERGED_INTO: str(uuid.UUID(int=9))})
    for pair in ((keep, gone), (gone, keep)):
        assert merge_account_pair(*pair, at=AT) == Failure(
            RuleViolation(rule="merge", detail=f"account {gone.id} is already merged")
        )


def test_both_accounts_are_stamped_with_the_merge_time() -> None:
    keep, other = _account(1), _account(2, industry="tools", attributes={"tier": "gold"})
    new_keep, new_other = merge_account_pair(keep, other, at=AT).unwrap()
    assert (new_keep.updated_at, new_other.updated_at) == (AT, AT)
    assert new_keep.industry == "tools"
    assert new_other.attributes == {"tier": "gold", MERGED_INTO: str(keep.id)}


def test_a_merge_is_undone_once() -> None:
    keep, other = _account(1), _account(2)
    record = AccountMergeRecord(
        id=uuid.UUID(int=5), keep_id=keep.id, other_id=other.id, reason="same firm", by="ops",
        at=AT, keep_before=keep, other_before=other,
    )  # fmt: skip
    undone = undo_account_merge(record, at=AT).unwrap()
    assert undone.undone_at == AT
    assert undo_account_merge(undone, at=AT) == Failure(
        RuleViolation(rule="unmerge", detail=f"merge {record.id} is already undone")
    )
