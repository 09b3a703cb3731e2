"""An in-memory database with real transactions: staged writes, version checks at commit.

It is a fake in the cosmicpython sense, not a mock: every repository works against it,
rollback discards the staged writes, and two units of work that change the same
aggregate conflict exactly like they do on SQL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

import attrs

from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.errors import ConcurrentModification, DuplicateKey


class Versioned(Protocol):
    """What every stored aggregate has."""

    @property
    def id(self) -> Any: ...
    @property
    def version(self) -> int: ...


UniqueKey = tuple[str, Callable[[Any], object]]
#: ``(table, field) → value → ids of rows that held it``: a superset (a row that changed
#: or went keeps its old entries), so every hit is checked against the row itself.
UniqueIndex = dict[tuple[str, str], dict[object, set[UUID]]]

#: Unique keys per table (field name, key function); ``None`` keys are not unique.
UNIQUE: dict[str, tuple[UniqueKey, ...]] = {
    "leads": (("email", lambda e: e.email.value),),
    "contacts": (
        ("user_id", lambda e: e.user_id),
        ("email", lambda e: e.email.value if e.email is not None else None),
    ),
    "transactions": (("external_id", lambda e: e.external_id),),
    "segments": (("name", lambda e: e.name),),
    # at most one open alert per condition (SQL: a partial unique index)
    "alerts": (("open_key", lambda e: e.key if e.cleared_at is None else None),),
}


def _keys_changed(table: str, before: Any, after: Any) -> bool:
    """Whether a change touches a unique key: a row whose keys stay as they were cannot
    start a conflict (the row that takes the same key is checked itself)."""
    return any(fn(before) != fn(after) for _, fn in UNIQUE.get(table, ()))


@attrs.define
class OutboxRow:
    """One event in the memory outbox."""

    envelope: Envelope[DomainEvent]
    sent: bool = False
    dead: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None


class MemoryDatabase:
    """Committed state shared by every memory unit of work of one application."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[UUID, Any]] = {}
        self.outbox: list[OutboxRow] = []
        self.processed: set[tuple[str, UUID]] = set()
        self.audit: list[Any] = []
        #: the audit log's subject key (one per database, as in SQL's database_secrets)
        self.secret = os.urandom(32)
        self.lock = threading.RLock()
        self.unique: UniqueIndex = {}  # every committed value of every unique key

    def table(self, name: str) -> dict[UUID, Any]:
        """The committed rows of ``name``."""
        return self.tables.setdefault(name, {})


class Transaction:
    """Writes staged by one unit of work, applied atomically at commit."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.writes: dict[str, dict[UUID, tuple[int, Any]]] = {}
        self.outbox: list[Envelope[DomainEvent]] = []
        self.sent: set[UUID] = set()
        self.outbox_changes: list[Callable[[OutboxRow], None]] = []
        self.claims: set[tuple[str, UUID]] = set()
        self.deletes: dict[str, set[UUID]] = {}
        self.audit: list[Any] = []
        self.staged_unique: UniqueIndex = {}

    def get(self, table: str, key: UUID) -> Any | None:
        """The row as this transaction sees it."""
        if key in self.deletes.get(table, ()):
            return None
        staged = self.writes.get(table, {}).get(key)
        if staged is not None:
            return staged[1]
        return self.db.table(table).get(key)

    def rows(self, table: str) -> Iterator[Any]:
        """Every row as this transaction sees it."""
        staged = self.writes.get(table, {})
        gone = self.deletes.get(table, set())
        for key, row in self.db.table(table).items():
            if key not in gone:
                yield staged[key][1] if key in staged else row
        for key, (_, row) in staged.items():
            if key not in self.db.table(table):
                yield row

    def add(self, table: str, row: Versioned) -> None:
        """Stage a new row; its id must be unused."""
        if self.get(table, row.id) is not None:
            raise DuplicateKey(table, "id", row.id)
        self._check_unique(table, row, self.get, staged=True)
        _index(self.staged_unique, table, row)
        self.writes.setdefault(table, {})[row.id] = (0, row)

    def delete(self, table: str, key: UUID) -> None:
        """Stage the removal of a row."""
        self.writes.get(table, {}).pop(key, None)
        self.deletes.setdefault(table, set()).add(key)

    def save(self, table: str, row: Versioned) -> None:
        """Stage a change to a row read at ``row.version``."""
        current = self.get(table, row.id)
        if current is None:
            raise ConcurrentModification(table, row.id, row.version)
        if _keys_changed(table, current, row):
            self._check_unique(table, row, self.get, staged=True)
        _index(self.staged_unique, table, row)
        staged = self.writes.setdefault(table, {})
        expected = staged[row.id][0] if row.id in staged else row.version
        if expected == 0 and row.id not in staged:
            # a stored row has version >= 1: this copy predates the add that stored it
            raise ConcurrentModification(table, row.id, row.version)
        staged[row.id] = (expected, row)

    def _check_unique(
        self, table: str, row: Versioned, look: Callable[[str, UUID], Any], *, staged: bool
    ) -> None:
        """Raise ``DuplicateKey`` when another row, as ``look`` sees it, holds one of
        ``row``'s unique values (candidates from the indexes, then checked one by one)."""
        for field, fn in UNIQUE.get(table, ()):
            value = fn(row)
            if value is None:
                continue
            with self.db.lock:
                holders = set(self.db.unique.get((table, field), {}).get(value, ()))
            if staged:
                holders |= self.staged_unique.get((table, field), {}).get(value, set())
            for other_id in holders - {row.id}:
                other = look(table, other_id)
                if other is not None and fn(other) == value:
                    raise DuplicateKey(table, field, value)

    def commit(self) -> None:
        """Check every version and unique key, then apply all writes at once."""
        with self.db.lock:
            for table, rows in self.writes.items():
                committed = self.db.table(table)
                for key, (expected, row) in rows.items():
                    stored = committed.get(key)
                    if expected == 0 and stored is not None:
                        raise DuplicateKey(table, "id", key)
                    if expected and (stored is None or stored.version != expected):
                        raise ConcurrentModification(table, key, expected)
                    if stored is None or _keys_changed(table, stored, row):
                        self._check_unique(table, row, self._final, staged=False)
            for table, rows in self.writes.items():
                committed = self.db.table(table)
                for key, (expected, row) in rows.items():
                    committed[key] = attrs.evolve(row, version=expected + 1)
                    _index(self.db.unique, table, row)
            self.db.outbox.extend(OutboxRow(envelope=e) for e in self.outbox)
            for row in self.db.outbox:
                if row.envelope.id in self.sent:
                    row.sent = True
                    row.attempts += 1
                for change in self.outbox_changes:
                    change(row)
            self.db.processed |= self.claims
            self.db.audit.extend(self.audit)
            for table, keys in self.deletes.items():
                for key in keys:
                    self.db.table(table).pop(key, None)
        self.rollback()

    def _final(self, table: str, key: UUID) -> Any | None:
        """A row as it will be after this commit: rows this transaction writes as
        written (so a unique key may move from one row to another), others as committed."""
        if key in self.deletes.get(table, ()):
            return None
        staged = self.writes.get(table, {}).get(key)
        return staged[1] if staged is not None else self.db.table(table).get(key)

    def rollback(self) -> None:
        """Forget everything staged."""
        self.staged_unique.clear()
        self.writes.clear()
        self.outbox.clear()
        self.sent.clear()
        self.outbox_changes.clear()
        self.claims.clear()
        self.deletes.clear()
        self.audit.clear()


T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Held(Generic[T]):
    """A row holding a value that is not itself a stored aggregate (a fit, a move, a
    merge record...) under an id, with the version every row has."""

    id: UUID
    value: T
    version: int = 0


class HeldRows(Generic[T]):
    """One table of :class:`Held` rows as one transaction sees it."""

    def __init__(self, tx: Transaction, table: str) -> None:
        self.tx = tx
        self.table = table

    def row(self, key: UUID) -> Held[T] | None:
        found: Held[T] | None = self.tx.get(self.table, key)
        return found

    def get(self, key: UUID) -> T | None:
        row = self.row(key)
        return None if row is None else row.value

    def add(self, key: UUID, value: T) -> None:
        """Stage a new row."""
        self.tx.add(self.table, Held(id=key, value=value))

    def put(self, key: UUID, value: T, *, only_existing: bool = False) -> None:
        """Stage ``value`` under ``key``: a new row, or the new value of the row there
        (with ``only_existing``, nothing when there is none)."""
        row = self.row(key)
        if row is not None:
            self.tx.save(self.table, attrs.evolve(row, value=value))
        elif not only_existing:
            self.add(key, value)

    def rows(self) -> Iterator[Held[T]]:
        return self.tx.rows(self.table)

    def values(self) -> Iterator[T]:
        return (r.value for r in self.tx.rows(self.table))

    def delete(self, keys: Iterable[UUID]) -> int:
        """Stage the removal of these rows; how many."""
        gone = list(keys)
        for key in gone:
            self.tx.delete(self.table, key)
        return len(gone)


def _index(index: UniqueIndex, table: str, row: Versioned) -> None:
    """Record ``row``'s unique values in ``index``."""
    for field, fn in UNIQUE.get(table, ()):
        value = fn(row)
        if value is not None:
            index.setdefault((table, field), {}).setdefault(value, set()).add(row.id)
