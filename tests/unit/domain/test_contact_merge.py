"""Merging two contacts: empty fields are filled, nothing is overwritten, undo restores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import attrs
from hypothesis import assume, given, settings
from returns.result import Failure

from crmcore.domain.contact_merge import (
    FILLABLE,
    MERGED_INTO,
    MergeRecord,
    merge_pair,
    merged_into,
    restore,
    undo,
)
from crmcore.domain.errors import RuleViolation
from tests.strategies import contact_entities

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _fresh(contact: Any) -> Any:
    attributes = {k: v for k, v in contact.attributes.items() if k != MERGED_INTO}
    return attrs.evolve(contact, attributes=attributes)


@settings(max_examples=50, deadline=None)
@given(keep=contact_entities(), other=contact_entities())
def test_merge_fills_only_what_the_kept_contact_lacks(keep: Any, other: Any) -> None:
    keep, other = _fresh(keep), _fresh(other)
    assume(keep.id != other.id)
    new_keep, new_other = merge_pair(keep, other, at=AT).unwrap()
    for name in FILLABLE:
        before = getattr(keep, name)
        expected = before if before is not None else getattr(other, name)
        assert getattr(new_keep, name) == expected
    for key, value in keep.attributes.items():
        assert new_keep.attributes[key] == value
    assert new_keep.name == keep.name
    assert new_keep.id == keep.id
    assert new_other.archived
    assert merged_into(new_other) == keep.id
    # a unique key that moved is given up by the other contact
    for name in ("email", "user_id"):
        if getattr(keep, name) is None and getattr(other, name) is not None:
            assert getattr(new_other, name) is None


@settings(max_examples=50, deadline=None)
@given(keep=contact_entities(), other=contact_entities())
def test_restore_gives_back_both_contacts_as_they_were(keep: Any, other: Any) -> None:
    keep, other = _fresh(keep), _fresh(other)
    assume(keep.id != other.id)
    new_keep, new_other = merge_pair(keep, other, at=AT).unwrap()
    record = MergeRecord(
        id=UUID(int=1),
        keep_id=keep.id,
        other_id=other.id,
        reason="same person",
        by="ops",
        at=AT,
        keep_before=keep,
        other_before=other,
    )
    back_keep, back_other = restore(
        record, attrs.evolve(new_keep, version=7), attrs.evolve(new_other, version=9)
    )
    assert attrs.evolve(back_keep, version=keep.version) == keep
    assert back_keep.version == 7
    assert attrs.evolve(back_other, version=other.version) == other
    assert back_other.version == 9
    undone = undo(record, at=AT).unwrap()
    assert undone.undone_at == AT
    assert undo(undone, at=AT) == Failure(
        RuleViolation(rule="unmerge", detail=f"merge {record.id} is already undone")
    )


@settings(max_examples=20, deadline=None)
@given(contact=contact_entities(), other=contact_entities())
def test_a_contact_cannot_merge_into_itself_or_twice(contact: Any, other: Any) -> None:
    contact, other = _fresh(contact), _fresh(other)
    assume(contact.id != other.id)
    assert isinstance(merge_pair(contact, contact, at=AT), Failure)
    _, gone = merge_pair(contact, other, at=AT).unwrap()
    assert isinstance(merge_pair(contact, gone, at=AT), Failure)


@settings(max_examples=10, deadline=None)
@given(contact=contact_entities(), other=contact_entities())
def test_each_refusal_says_why_and_the_merge_is_dated(contact: Any, other: Any) -> None:
    contact, other = _fresh(contact), _fresh(other)
    assume(contact.id != other.id)
    assert merge_pair(contact, contact, at=AT) == Failure(
        RuleViolation(rule="merge", detail="a contact cannot merge into itself")
    )
    kept, gone = merge_pair(contact, other, at=AT).unwrap()
    assert (kept.updated_at, gone.updated_at) == (AT, AT)
    assert gone.attributes[MERGED_INTO] == str(contact.id)
    assert merge_pair(contact, gone, at=AT) == Failure(
        RuleViolation(rule="merge", detail=f"contact {gone.id} is already merged")
    )
    assert merge_pair(gone, contact, at=AT) == Failure(
        RuleViolation(rule="merge", detail=f"contact {gone.id} is already merged")
    )
    assert merged_into(contact) is None


@settings(max_examples=5, deadline=None)
@given(keep=contact_entities(), other=contact_entities())
def test_the_kept_contact_takes_only_the_attribute_keys_it_lacks(keep: Any, other: Any) -> None:
    keep = attrs.evolve(_fresh(keep), attributes={"a": 1})
    other = attrs.evolve(_fresh(other), attributes={"a": 2, "b": 3})
    assume(keep.id != other.id)
    new_keep, _ = merge_pair(keep, other, at=AT).unwrap()
    assert new_keep.attributes == {"a": 1, "b": 3}
