"""SQL adapters of the merge ports: references to a contact, and the merge log.

Each reference kind is a ``table.column`` of the schema; a row's key is its primary key
(JSON list of strings when it has several columns). Rows one per contact (keyed by the
contact id) move only when the target has none. Review items name contacts in a JSON
list, rewritten in Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import String, Table, and_, cast, insert, select, update

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.mapping import (
    account_from,
    account_row,
    contact_from,
    contact_row,
    fields_from,
    fields_row,
)
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.account_merge import AccountMergeRecord
from crmcore.domain.contact import Contact
from crmcore.domain.contact_merge import MergeRecord
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.loyalty_metrics import CustomerFacts

#: Plain references: kind → (table, column).
PLAIN: dict[str, tuple[Table, str]] = {
    "activities.contact_id": (t.activities, "contact_id"),
    "campaign_deliveries.contact_id": (t.campaign_deliveries, "contact_id"),
    "deals.contact_id": (t.deals, "contact_id"),
    "health_scores.contact_id": (t.health_scores, "contact_id"),
    "pipeline_facts.contact_id": (t.pipeline_facts, "contact_id"),
    "relationships.contact_id": (t.relationships, "contact_id"),
    "relationships.other_contact_id": (t.relationships, "other_contact_id"),
    "sequence_enrollments.contact_id": (t.sequence_enrollments, "contact_id"),
    "transactions.contact_id": (t.transactions, "contact_id"),
}
#: One row per contact, keyed by its id: kind → (table, column).
KEYED: dict[str, tuple[Table, str]] = {
    "customer_rfm.contact_id": (t.customer_rfm, "contact_id"),
    "health_due.contact_id": (t.health_due, "contact_id"),
    "loyalty_cards.id": (t.loyalty_cards, "id"),
    "loyalty_facts.id": (t.loyalty_facts, "id"),
}
#: Plain kinds whose rows are unique per contact and other columns: a row whose other
#: values the target already has stays with the source.
UNIQUE_WITH: dict[str, tuple[str, ...]] = {
    "campaign_deliveries.contact_id": ("campaign_id", "step"),
    "sequence_enrollments.contact_id": ("sequence_id",),
}
CANDIDATES = "review_items.candidates"


def _key(row: Any, table: Table) -> str:
    values = [str(row[c.name]) for c in table.primary_key.columns]
    return values[0] if len(values) == 1 else json.dumps(values)


def _where_key(table: Table, key: str) -> Any:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0] == _typed(columns[0], key)
    values = json.loads(key)
    return and_(*(c == _typed(c, v) for c, v in zip(columns, values, strict=True)))


def _typed(column: Any, value: str) -> Any:
    return UUID(value) if column.type.python_type is UUID else value


class SqlContactReferences:
    """What names a contact, in the SQL schema."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def kinds(self) -> frozenset[str]:
        return frozenset(PLAIN) | frozenset(KEYED) | {CANDIDATES}

    def _run(self, stmt: Any, table: Table) -> None:
        self._s.write(lambda: self._s.conn.execute(stmt), table=table)

    def _free(
        self,
        table: Table,
        column: str,
        unique: tuple[str, ...],
        keys: Sequence[str],
        target: ContactId,
    ) -> list[str]:
        """Those of ``keys`` whose ``unique`` values the target does not hold yet."""
        others = [table.c[u] for u in unique]
        taken = {
            tuple(r[u] for u in unique)
            for r in self._s.read(select(*others).where(table.c[column] == target))
        }
        (pk,) = table.primary_key.columns
        rows = self._s.read(select(pk, *others).where(pk.in_([_typed(pk, k) for k in keys])))
        free = {str(r[pk.name]) for r in rows if tuple(r[u] for u in unique) not in taken}
        return [k for k in keys if k in free]

    def find(self, contact_id: ContactId) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for kind, (table, column) in {**PLAIN, **KEYED}.items():
            rows = self._s.read(
                select(*table.primary_key.columns).where(table.c[column] == contact_id)
            )
            if rows:
                found[kind] = tuple(sorted(_key(r, table) for r in rows))
        items = self._items_naming(contact_id)
        if items:
            found[CANDIDATES] = tuple(sorted(str(i) for i in items))
        return found

    def _items_naming(self, contact_id: ContactId) -> dict[UUID, list[str]]:
        pattern = f"%{contact_id}%"
        rows = self._s.read(
            select(t.review_items.c.id, t.review_items.c.candidates).where(
                cast(t.review_items.c.candidates, String).like(pattern)
            )
        )
        return {
            r["id"]: list(r["candidates"])
            for r in rows
            if str(contact_id) in [str(c) for c in r["candidates"]]
        }

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: ContactId, target: ContactId
    ) -> dict[str, tuple[str, ...]]:
        moved: dict[str, tuple[str, ...]] = {}
        for kind, keys in rows.items():
            if not keys:
                continue
            if kind in PLAIN:
                table, column = PLAIN[kind]
                if kind in UNIQUE_WITH:
                    keys = self._free(table, column, UNIQUE_WITH[kind], keys, target)
                    if not keys:
                        continue
                for key in keys:
                    stmt = update(table).where(_where_key(table, key)).values({column: target})
                    self._run(stmt, table)
                moved[kind] = tuple(keys)
            elif kind in KEYED:
                table, column = KEYED[kind]
                taken = self._s.read(select(table.c[column]).where(table.c[column] == target))
                if taken:
                    continue
                stmt = update(table).where(table.c[column] == source).values({column: target})
                self._run(stmt, table)
                moved[kind] = (str(target),)
            elif kind == CANDIDATES:
                items = self._items_naming(source)
                done = []
                for item_id, candidates in items.items():
                    if str(item_id) not in keys:
                        continue
                    new = [str(target) if str(c) == str(source) else str(c) for c in candidates]
                    stmt = (
                        update(t.review_items)
                        .where(t.review_items.c.id == item_id)
                        .values(candidates=new)
                    )
                    self._run(stmt, t.review_items)
                    done.append(str(item_id))
                if done:
                    moved[kind] = tuple(sorted(done))
        return moved


def _before_json(row: dict[str, Any], version: int) -> dict[str, Any]:
    """An entity's row as JSON (ids as text, times in ISO 8601), with its version."""
    row["version"] = version
    return {
        name: (
            str(value) if isinstance(value, UUID) else
            value.isoformat() if isinstance(value, datetime) else value
        )
        for name, value in row.items()
    }  # fmt: skip


def _before_row(data: Mapping[str, Any], *ids: str) -> dict[str, Any]:
    """The row of :func:`_before_json`'s JSON."""
    row = dict(data)
    for name in ("id", *ids):
        row[name] = UUID(row[name]) if row[name] else None
    for name in ("created_at", "updated_at"):
        row[name] = datetime.fromisoformat(row[name])
    return row


def _contact_back(data: Mapping[str, Any]) -> Contact:
    return contact_from(_before_row(data, "account_id", "source_lead_id"))


def _facts_json(facts: CustomerFacts) -> dict[str, Any]:
    return {
        name: (
            sorted(value)
            if isinstance(value, frozenset)
            else str(value)
            if isinstance(value, Decimal | date)
            else value
        )
        for name, value in facts.as_mapping().items()
    }


def _facts_back(data: Mapping[str, Any]) -> CustomerFacts:
    values: dict[str, Any] = dict(data)
    values["revenue"] = Decimal(values["revenue"])
    values["tags"] = frozenset(values["tags"])
    for name in ("first_interaction", "last_purchase"):
        values[name] = date.fromisoformat(values[name]) if values[name] else None
    return CustomerFacts(**values)


R = TypeVar("R", MergeRecord, AccountMergeRecord)

#: Record attributes not stored in a column of their own.
_RECORD: dict[str, str | None] = {
    "by": "merged_by",
    "keep_before": None,
    "other_before": None,
    "keep_facts_before": None,
}


class _MergeLog(Generic[R]):
    """A merge log's rows: the record's fields, the before-images in ``before``."""

    table: Table

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _before(self, record: R) -> dict[str, Any]:
        raise NotImplementedError

    def _record(self, row: Any) -> R:
        raise NotImplementedError

    def add(self, record: R) -> None:
        moved = {k: list(v) for k, v in record.moved.items()}
        row = fields_row(record, renamed=_RECORD, before=self._before(record), moved=moved)
        stmt = insert(self.table).values(row)
        self._s.write(lambda: self._s.conn.execute(stmt), table=self.table, row=row)

    def get(self, merge_id: UUID) -> R | None:
        rows = self._s.read(select(self.table).where(self.table.c.id == merge_id))
        return self._record(rows[0]) if rows else None

    def save(self, record: R) -> None:
        c = self.table.c
        stmt = update(self.table).where(c.id == record.id).values(undone_at=record.undone_at)
        self._s.write(lambda: self._s.conn.execute(stmt), table=self.table)


def _moved(row: Any) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in dict(row["moved"]).items()}


class SqlMergeLog(_MergeLog[MergeRecord]):
    """Merges in ``contact_merges``."""

    table = t.contact_merges

    def _before(self, record: MergeRecord) -> dict[str, Any]:
        before = {
            "keep": _before_json(contact_row(record.keep_before), record.keep_before.version),
            "other": _before_json(contact_row(record.other_before), record.other_before.version),
        }
        if record.keep_facts_before is not None:
            before["keep_facts"] = _facts_json(record.keep_facts_before)
        return before

    def _record(self, row: Any) -> MergeRecord:
        before = row["before"]
        facts = before.get("keep_facts")
        return fields_from(
            MergeRecord,
            row,
            renamed={"by": "merged_by"},
            keep_before=_contact_back(before["keep"]),
            other_before=_contact_back(before["other"]),
            moved=_moved(row),
            keep_facts_before=_facts_back(facts) if facts is not None else None,
        )

    def active_for(self, other_id: ContactId) -> MergeRecord | None:
        c = self.table.c
        rows = self._s.read(
            select(self.table)
            .where(c.other_id == other_id, c.undone_at.is_(None))
            .order_by(c.at.desc())
        )
        return self._record(rows[0]) if rows else None


#: Columns that name an account: kind → (table, column).
ACCOUNT_PLAIN: dict[str, tuple[Table, str]] = {
    "contacts.account_id": (t.contacts, "account_id"),
    "deals.account_id": (t.deals, "account_id"),
    "health_scores.account_id": (t.health_scores, "account_id"),
    "relationships.account_id": (t.relationships, "account_id"),
}


class SqlAccountReferences:
    """What names an account, in the SQL schema."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def kinds(self) -> frozenset[str]:
        return frozenset(ACCOUNT_PLAIN)

    def find(self, account_id: AccountId) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for kind, (table, column) in ACCOUNT_PLAIN.items():
            rows = self._s.read(
                select(*table.primary_key.columns).where(table.c[column] == account_id)
            )
            if rows:
                found[kind] = tuple(sorted(_key(r, table) for r in rows))
        return found

    def move(
        self, rows: Mapping[str, Sequence[str]], *, source: AccountId, target: AccountId
    ) -> dict[str, tuple[str, ...]]:
        moved: dict[str, tuple[str, ...]] = {}
        for kind, keys in rows.items():
            if kind not in ACCOUNT_PLAIN or not keys:
                continue
            table, column = ACCOUNT_PLAIN[kind]
            (pk,) = table.primary_key.columns
            stmt = (
                update(table)
                .where(pk.in_([_typed(pk, k) for k in keys]), table.c[column] == source)
                .values({column: target})
            )
            self._s.write(lambda s=stmt: self._s.conn.execute(s), table=table)  # type: ignore[misc]
            moved[kind] = tuple(keys)
        return moved


class SqlAccountMergeLog(_MergeLog[AccountMergeRecord]):
    """Account merges in ``account_merges``."""

    table = t.account_merges

    def _before(self, record: AccountMergeRecord) -> dict[str, Any]:
        keep, other = record.keep_before, record.other_before
        return {
            "keep": _before_json(account_row(keep), keep.version),
            "other": _before_json(account_row(other), other.version),
        }

    def _record(self, row: Any) -> AccountMergeRecord:
        before = row["before"]
        return fields_from(
            AccountMergeRecord,
            row,
            renamed={"by": "merged_by"},
            keep_before=account_from(_before_row(before["keep"])),
            other_before=account_from(_before_row(before["other"])),
            moved=_moved(row),
        )
