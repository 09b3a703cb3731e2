"""The rules every merge of two stored records (contacts, accounts) shares.

The kept record takes every empty field it lacks from the other, from the fields the
record's kind names as fillable, and every attribute key it does not have; what it already
holds is never overwritten. The other record remembers where it went
(``attributes["merged_into"]``), and a record already merged away cannot take part in
another merge. An undo restores both before-images at their current versions, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import RuleViolation

#: The attribute that names the record a merged-away one went into.
MERGED_INTO = "merged_into"


class Mergeable(Protocol):
    """What a merge reads of a record: its id, attributes and version."""

    @property
    def id(self) -> UUID: ...

    @property
    def attributes(self) -> Mapping[str, Any]: ...

    @property
    def version(self) -> int: ...


class Undoable(Protocol):
    """What an undo reads of a merge record."""

    @property
    def id(self) -> UUID: ...

    @property
    def undone_at(self) -> datetime | None: ...


R = TypeVar("R", bound=Mergeable)
M = TypeVar("M", bound=Undoable)


def merged_target(record: Mergeable) -> UUID | None:
    """The id of the record this one was merged into, if it was."""
    target = record.attributes.get(MERGED_INTO)
    return UUID(str(target)) if target else None


def refusal(
    keep: Mergeable, other: Mergeable, *, noun: str, article: str = "a"
) -> RuleViolation | None:
    """Why ``other`` cannot merge into ``keep``: the same record, or one already merged."""
    if keep.id == other.id:
        return RuleViolation(rule="merge", detail=f"{article} {noun} cannot merge into itself")
    for record in (keep, other):
        if merged_target(record) is not None:
            return RuleViolation(rule="merge", detail=f"{noun} {record.id} is already merged")
    return None


def fills(keep: object, other: object, fillable: Iterable[str]) -> dict[str, Any]:
    """The fields ``keep`` lacks that ``other`` has, among ``fillable``."""
    return {
        name: getattr(other, name)
        for name in fillable
        if getattr(keep, name) is None and getattr(other, name) is not None
    }


def filled(keep: R, other: Mergeable, taken: Mapping[str, Any], *, at: datetime) -> R:
    """``keep`` with the ``taken`` fields and the attribute keys it lacks from ``other``."""
    attributes = {**other.attributes, **keep.attributes}
    return attrs.evolve(keep, **taken, attributes=attributes, updated_at=at)  # type: ignore[misc]


def marked(other: R, keep: Mergeable, *, at: datetime, **changes: Any) -> R:
    """``other`` marked as merged into ``keep`` (with any further ``changes``)."""
    attributes = {**other.attributes, MERGED_INTO: str(keep.id)}
    return attrs.evolve(other, **changes, attributes=attributes, updated_at=at)  # type: ignore[misc]


def restored(keep_before: R, other_before: R, keep_now: R, other_now: R) -> tuple[R, R]:
    """Both records as they were before the merge, at their current versions (the store
    moves the versions on when it saves them)."""
    return (
        attrs.evolve(keep_before, version=keep_now.version),  # type: ignore[misc]
        attrs.evolve(other_before, version=other_now.version),  # type: ignore[misc]
    )


def undone(record: M, *, at: datetime) -> Result[M, RuleViolation]:
    """The merge record marked undone (once)."""
    if record.undone_at is not None:
        return Failure(RuleViolation(rule="unmerge", detail=f"merge {record.id} is already undone"))
    return Success(attrs.evolve(record, undone_at=at))  # type: ignore[misc]
