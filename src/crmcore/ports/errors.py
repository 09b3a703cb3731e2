"""Exceptions adapters raise; use cases translate them into ``AppError`` values."""

from __future__ import annotations


class StorageError(Exception):
    """Base of storage failures."""


class ConcurrentModification(StorageError):
    """Another unit of work changed the aggregate since it was read."""

    def __init__(self, kind: str, key: object, expected_version: int) -> None:
        super().__init__(
            f"{kind} {key} was changed by someone else (expected version {expected_version})"
        )
        self.kind = kind
        self.key = key
        self.expected_version = expected_version


class DuplicateKey(StorageError):
    """A unique key (id, e-mail, user id) is already taken."""

    def __init__(self, kind: str, field: str, value: object) -> None:
        super().__init__(f"{kind} with {field} {value} already exists")
        self.kind = kind
        self.field = field
        self.value = value


class StorageUnavailable(StorageError):
    """The database cannot be reached or is locked beyond the timeout."""
