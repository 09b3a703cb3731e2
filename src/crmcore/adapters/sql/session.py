"""One database transaction of a unit of work: versions, bulk writes, error translation."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    Executable,
    RowMapping,
    Table,
    bindparam,
    insert,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from crmcore.adapters.sql.engine import (
    BEGIN_MODE,
    SQLITE_BULK_WAL_PAGES,
    SQLITE_WAL_AUTOCHECKPOINT_PAGES,
)
from crmcore.ports.errors import (
    ConcurrentModification,
    DuplicateKey,
    StorageError,
    StorageUnavailable,
)

SQLITE_BUSY = 5
SQLITE_BUSY_SNAPSHOT = 517
#: A reading transaction cannot become a writer: another connection is writing (BUSY,
#: returned at once to avoid a deadlock) or has committed since (BUSY_SNAPSHOT).
SQLITE_RESTARTABLE = frozenset({SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT})
BATCH = 5_000

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")


class MissingReference(StorageError):
    """A foreign key points at a row that does not exist."""


def _kind(table: Table) -> str:
    return table.name.removesuffix("s")


def translate(
    exc: DBAPIError, *, table: Table | None = None, row: Mapping[str, Any] | None = None
) -> StorageError:
    """The port error for a driver error."""
    text = str(exc.orig)
    if isinstance(exc, IntegrityError):
        field = _unique_field(exc)
        if field is not None:
            kind = _kind(table) if table is not None else "row"
            value = row.get(field) if row is not None else None
            return DuplicateKey(kind, field, value if value is not None else "(this value)")
        if "foreign key" in text.lower() or "FOREIGN KEY" in text:
            return MissingReference(f"a referenced row does not exist: {text.splitlines()[0]}")
        return StorageError(text.splitlines()[0])
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return StorageUnavailable(text.splitlines()[0] if text else type(exc.orig).__name__)
    return StorageError(text.splitlines()[0] if text else repr(exc))


def _unique_field(exc: IntegrityError) -> str | None:
    orig = exc.orig
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        return match.group(2)
    diag = getattr(orig, "diag", None)
    name = str(getattr(diag, "constraint_name", None) or "") if diag is not None else ""
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate != "23505" or not name:
        return None
    if name.startswith("pk_"):
        return "id"
    if name.startswith("uq_"):
        table = str(getattr(diag, "table_name", "") or "")
        return name.removeprefix(f"uq_{table}_") if table else name.removeprefix("uq_")
    return name


Converter = Callable[[Any], Any]


def _binder(column: Column[Any], dialect: Dialect) -> Converter | None:
    """SQLAlchemy's own bind processor of a column (``None`` when values pass as is)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _stored_column(values: Sequence[Any], convert: Converter, *, nullable: bool) -> list[Any]:
    """A column's non-null values converted for SQLite: a column of one empty JSON
    value (a bulk import's attributes) converted once, a key column without the checks."""
    first = values[0]
    if isinstance(first, dict | list) and not first and values.count(first) == len(values):
        return [convert(first)] * len(values)
    if not nullable:
        return list(map(convert, values))
    return [None if v is None else convert(v) for v in values]


class SqlSession:
    """A connection in one transaction, with the bookkeeping optimistic locking needs.

    ``touched`` maps ``(table, id)`` to ``(version as first read, version in the db now)``,
    so that an aggregate saved twice in one unit of work, or added then saved, is checked
    against the right row version, and reads inside the transaction report the version the
    unit of work started from (as the memory adapter does).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.touched: dict[tuple[str, UUID], tuple[int, int]] = {}
        self.writing = False
        #: a read unit of work (autocommit on PostgreSQL): a write would commit at once
        self.read_only = False
        self.checkpoints_deferred = False
        self._readers: dict[tuple[str, tuple[str, ...]], list[tuple[int, Converter]]] = {}

    # -- errors and the SQLite first-write retry ---------------------------------------

    @contextmanager
    def translating(
        self, table: Table | None = None, row: Mapping[str, Any] | None = None
    ) -> Iterator[None]:
        """Turn driver errors into port errors."""
        try:
            yield
        except DBAPIError as exc:
            raise translate(exc, table=table, row=row) from exc

    def read(self, stmt: Executable) -> Sequence[RowMapping]:
        """Rows of a query, as mappings."""
        with self.translating():
            return self.conn.execute(stmt).mappings().all()

    def stored_rows(
        self, table: Table, names: Sequence[str], raw: Sequence[Any]
    ) -> list[dict[str, Any]]:
        """Rows of driver SQL (the SQLite statements) that read the columns ``names`` of
        ``table``, as dicts of the values SQLAlchemy reads: its own result processors
        applied to the stored ones."""
        key = (table.name, tuple(names))
        readers = self._readers.get(key)
        if readers is None:
            dialect = self.conn.dialect
            processors = (
                table.c[n].type.dialect_impl(dialect).result_processor(dialect, None) for n in names
            )
            readers = self._readers[key] = [(i, f) for i, f in enumerate(processors) if f]
        out = []
        for r in raw:
            values = list(r)
            for i, f in readers:
                values[i] = f(values[i])
            out.append(dict(zip(names, values, strict=True)))
        return out

    def scalar(self, stmt: Executable) -> Any:
        """The single value of a query."""
        with self.translating():
            return self.conn.execute(stmt).scalar()

    def write(
        self,
        run: Callable[[], CursorResult[Any]],
        *,
        table: Table | None = None,
        row: Mapping[str, Any] | None = None,
    ) -> CursorResult[Any]:
        """Run a writing statement.

        On SQLite a unit of work reads in a deferred transaction; when another connection
        is writing or has committed since, its first write fails at once with
        ``SQLITE_BUSY``/``SQLITE_BUSY_SNAPSHOT``. Nothing has been written yet then, so the
        transaction is restarted ``BEGIN IMMEDIATE`` (which waits up to the busy timeout
        for the writer) and the statement retried: its ``version`` condition still detects
        a lost update, exactly as PostgreSQL's READ COMMITTED does.
        """
        if self.read_only:
            raise RuntimeError("a read unit of work does not write: use transact")
        with self.translating(table, row):
            try:
                result = run()
            except OperationalError as exc:
                code = getattr(exc.orig, "sqlite_errorcode", None)
                if not (self.sqlite and not self.writing and code in SQLITE_RESTARTABLE):
                    raise
                self.conn.rollback()
                self.conn.info[BEGIN_MODE] = "IMMEDIATE"
                result = run()
        self.writing = True
        return result

    # -- versions ----------------------------------------------------------------------

    def seen_version(self, table: Table, key: UUID, stored: int) -> int:
        """The version a read in this transaction reports for a row stored at ``stored``."""
        touched = self.touched.get((table.name, key))
        return touched[0] if touched is not None else stored

    def insert_entity(self, table: Table, row: dict[str, Any]) -> None:
        """Insert a new aggregate at version 1."""
        values = {**row, "version": 1}
        self.write(lambda: self.conn.execute(insert(table), values), table=table, row=row)
        self.touched[(table.name, row["id"])] = (0, 1)

    def update_entity(self, table: Table, row: dict[str, Any], read_version: int) -> None:
        """Update an aggregate read at ``read_version``; a lost update raises.

        One commit raises the version by exactly one, however many times the aggregate is
        saved in the unit of work; later saves in the same transaction hold the row lock
        already and only check that the row is still the one this transaction wrote.
        """
        key = row["id"]
        touched = self.touched.get((table.name, key))
        expected = touched[1] if touched else read_version
        new_version = touched[1] if touched else read_version + 1
        stmt = (
            update(table)
            .where(table.c.id == key, table.c.version == expected)
            .values({**{k: v for k, v in row.items() if k != "id"}, "version": new_version})
        )
        result = self.write(lambda: self.conn.execute(stmt), table=table, row=row)
        if result.rowcount != 1:
            raise ConcurrentModification(_kind(table), key, read_version)
        self.touched[(table.name, key)] = (touched[0] if touched else read_version, new_version)

    # -- bulk --------------------------------------------------------------------------

    def insert_many(self, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many new aggregates (version 1) in batches, one statement per batch;
        the count of inserted rows is returned.

        SQLite gets the driver's ``executemany`` over pre-processed tuples (SQLAlchemy's
        own bind processors, applied once per value); PostgreSQL gets SQLAlchemy's
        multi-row ``insertmanyvalues``.
        """
        return self._insert(table, rows, versioned="version" in table.c, ignore=False)

    def defer_checkpoints(self) -> None:
        """On SQLite, let this unit of work's commit leave the WAL to a later checkpoint
        (up to ``SQLITE_BULK_WAL_PAGES``): bulk imports commit large batches, and a
        checkpoint after each copied the same index pages back again and again. The
        connection's own setting comes back when the unit of work ends
        (:meth:`restore_checkpoints`)."""
        if self.sqlite and not self.checkpoints_deferred:
            self.conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_BULK_WAL_PAGES}")
            self.checkpoints_deferred = True

    def restore_checkpoints(self) -> None:
        """Undo :meth:`defer_checkpoints` (after the commit it was for)."""
        if self.checkpoints_deferred:
            self.conn.exec_driver_sql(
                f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}"
            )
            self.checkpoints_deferred = False

    def insert_like(
        self,
        table: Table,
        template: Mapping[str, Any],
        columns: Sequence[str],
        values: Sequence[Sequence[Any]],
    ) -> None:
        """Insert new aggregates (version 1) whose columns are ``template``'s but for
        ``columns`` (``id`` among them), given as one tuple per row.

        On SQLite the shared values are converted once and the rest column by column, so
        a row costs little more than the driver's own work; PostgreSQL takes
        :meth:`insert_many`.
        """
        if not values:
            return
        if not self.sqlite:
            self.insert_many(
                table, [{**template, **dict(zip(columns, v, strict=True))} for v in values]
            )
            return
        dialect = self.conn.dialect
        fixed_names = [n for n in template if n not in columns and n != "version"]
        fixed: list[Any] = []
        for name in fixed_names:
            value, convert = template[name], _binder(table.c[name], dialect)
            fixed.append(value if value is None or convert is None else convert(value))
        data: list[Sequence[Any]] = list(zip(*values, strict=True))
        at = columns.index("id")
        keys: Sequence[UUID] = data[at]
        for i, name in enumerate(columns):
            convert = _binder(table.c[name], dialect)
            if convert is not None:
                data[i] = _stored_column(data[i], convert, nullable=i != at)
        # the shared values repeat without end; zip stops at the per-row columns
        params = list(zip(*data, *(itertools.repeat(v) for v in (*fixed, 1)), strict=False))
        quote = dialect.identifier_preparer.quote
        names = [*columns, *fixed_names, "version"]
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        for start in range(0, len(params), BATCH):
            chunk = params[start : start + BATCH]
            self.write(lambda c=chunk: self.conn.exec_driver_sql(sql, c), table=table)  # type: ignore[misc]
        self.touched.update(dict.fromkeys(zip(itertools.repeat(table.name), keys), (0, 1)))

    def insert_rows(
        self, table: Table, rows: Sequence[dict[str, Any]], *, ignore_conflicts: bool = False
    ) -> int:
        """Insert plain rows as given (no aggregate versions), as :meth:`insert_many`
        does. ``ignore_conflicts`` (SQLite) skips rows whose key is taken; returns how
        many rows were inserted."""
        if ignore_conflicts and not self.sqlite:
            raise ValueError("ignore_conflicts is for the SQLite fast path")
        return self._insert(table, rows, versioned=False, ignore=ignore_conflicts)

    def _insert(
        self, table: Table, rows: Sequence[dict[str, Any]], *, versioned: bool, ignore: bool
    ) -> int:
        inserted = 0
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            if self.sqlite:
                inserted += self._sqlite_executemany(
                    table, chunk, add_version=versioned, ignore=ignore
                )
            else:
                values = [{**r, "version": 1} for r in chunk] if versioned else list(chunk)
                self.write(lambda v=values: self.conn.execute(insert(table), v), table=table)  # type: ignore[misc]
                inserted += len(chunk)
            if versioned:
                self.touched.update(dict.fromkeys(((table.name, r["id"]) for r in chunk), (0, 1)))
        return inserted

    def _sqlite_executemany(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        add_version: bool,
        ignore: bool = False,
    ) -> int:
        sql, params = self.sqlite_insert(table, rows, add_version=add_version, ignore=ignore)
        result = self.write(lambda: self.conn.exec_driver_sql(sql, params), table=table)
        return int(result.rowcount)

    def sqlite_insert(
        self,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        add_version: bool = False,
        ignore: bool = False,
    ) -> tuple[str, list[tuple[Any, ...]]]:
        """SQLite's bulk ``INSERT`` of ``rows`` (mappings with the same keys, in the same
        order) and its parameters, each value in its stored form (the column types' own
        bind processors, applied column by column), for the driver's ``executemany``."""
        dialect = self.conn.dialect
        names = [c for c in rows[0] if not (add_version and c == "version")]
        convert = [
            (i, f)
            for i, f in enumerate(_binder(table.c[n], dialect) for n in names)
            if f is not None
        ]
        quote = dialect.identifier_preparer.quote
        cols_sql = ", ".join(quote(n) for n in [*names, *(["version"] if add_version else [])])
        marks = ", ".join("?" for _ in range(len(names) + (1 if add_version else 0)))
        sql = f"INSERT INTO {quote(table.name)} ({cols_sql}) VALUES ({marks})"
        if ignore:
            sql += " ON CONFLICT DO NOTHING"
        # Column by column: one comprehension per converted column instead of a Python
        # loop per value (every row comes from one mapping function: same key order).
        columns: list[Sequence[Any]] = list(zip(*(r.values() for r in rows), strict=True))
        for i, f in convert:
            values = columns[i]
            if len(set(map(id, values))) == 1:  # one object throughout (a batch's time)
                first = values[0]
                columns[i] = [None if first is None else f(first)] * len(values)
            else:
                columns[i] = [None if v is None else f(v) for v in values]
        if add_version:
            columns.append((1,) * len(rows))
        return sql, list(zip(*columns, strict=True))

    def update_versioned(self, table: Table, rows: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Update many aggregates, each read at its version, in one ``executemany``.

        The version rules of :meth:`update_entity` hold for each row; when any row's
        version moved on (a concurrent writer), ``ConcurrentModification`` is raised and
        the caller's transaction must be rolled back.
        """
        latest = {row["id"]: (row, read) for row, read in rows}
        if not latest:
            return
        names = [k for k in next(iter(latest.values()))[0] if k != "id"]
        marks: list[tuple[Any, int, int]] = []
        planned: list[tuple[dict[str, Any], int, int]] = []
        for key, (row, read) in latest.items():
            touched = self.touched.get((table.name, key))
            expected = touched[1] if touched else read
            new_version = touched[1] if touched else read + 1
            planned.append((row, expected, new_version))
            marks.append((key, touched[0] if touched else read, new_version))
        params: list[dict[str, Any]] = []
        for row, expected, new_version in planned:
            p = {f"v_{n}": row[n] for n in names}
            p.update(k_id=row["id"], k_version=expected, v_version=new_version)
            params.append(p)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("k_id"), table.c.version == bindparam("k_version"))
            .values({**{n: bindparam(f"v_{n}") for n in names}, "version": bindparam("v_version")})
        )
        updated = self.write(lambda: self.conn.execute(stmt, params), table=table).rowcount
        if updated != len(planned):
            first_key, first_read, _ = marks[0]
            raise ConcurrentModification(_kind(table), first_key, first_read)
        for key, first, new_version in marks:
            self.touched[(table.name, key)] = (first, new_version)

    def update_many(self, table: Table, rows: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Update many aggregates, each with the version it was read at."""
        for row, read_version in rows:
            self.update_entity(table, row, read_version)
