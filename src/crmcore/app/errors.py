"""What a use case can answer instead of a value: ``Result[T, AppError]``."""

from __future__ import annotations

from uuid import UUID

import attrs

from crmcore.domain.errors import IllegalTransition, InvalidInput, RuleViolation


@attrs.frozen(kw_only=True)
class NotFound:
    """No aggregate of that kind with that key."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind} {self.key} not found"


@attrs.frozen(kw_only=True)
class DuplicateLead:
    """A lead with this e-mail was already captured."""

    email: str
    existing_id: UUID

    def __str__(self) -> str:
        return f"a lead with email {self.email} already exists: {self.existing_id}"


@attrs.frozen(kw_only=True)
class Conflict:
    """Someone else changed the same record, or a unique key is taken; retry or reload."""

    detail: str

    def __str__(self) -> str:
        return self.detail


@attrs.frozen(kw_only=True)
class StorageFailure:
    """The database could not be used."""

    detail: str

    def __str__(self) -> str:
        return f"storage unavailable: {self.detail}"


AppError = (
    InvalidInput
    | IllegalTransition
    | RuleViolation
    | NotFound
    | DuplicateLead
    | Conflict
    | StorageFailure
)


class UnsupportedDatabase(ValueError):
    """The database URL names a backend this build cannot use."""
