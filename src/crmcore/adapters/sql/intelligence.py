"""SQL adapters of the intelligence ports: transactions, segments, audience, health.

The queries over many customers run in the database: RFM reads the per-customer summary
``customer_rfm`` (kept by triggers, and on SQLite inserts by this repository: ADR 0011),
or runs the grouped query of
:mod:`crmcore.adapters.sql.rfm_sql` for an ``as_of`` before the newest transaction;
segment members are the filter compiled by
:func:`crmcore.adapters.sql.filters_sql.compile_filter` over one SELECT that joins
contacts, accounts, the per-contact summary and each contact's latest health score (the
summary is joined only when the filter reads behaviour fields).

SQLite stores amounts as decimal text and sums them in whole ten-thousandths
(:class:`~crmcore.adapters.sql.types.AmountSum`): monetary sums read back exactly (amounts
with more than four decimals are rounded to four), and filters on ``behaviour.monetary``
compare that sum as a binary float (the nearest one to the exact value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Integer,
    Numeric,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.chunks import in_chunks
from crmcore.adapters.sql.filters_sql import compile_filter
from crmcore.adapters.sql.mapping import Row, fields_from, fields_row
from crmcore.adapters.sql.rfm_sql import rfm_customers, rfm_segment_counts
from crmcore.adapters.sql.session import MissingReference, SqlSession
from crmcore.adapters.sql.sqlite import statements as sqlite_sql
from crmcore.adapters.sql.types import SUM_SCALE
from crmcore.domain.filters import CUSTOMER_FIELDS, Filter, fields_used
from crmcore.domain.health import HealthRecord, HealthRecordId, RiskLevel
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.rfm import CustomerRfm, RfmCounts
from crmcore.domain.segment import Segment
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.ports.system import Clock

#: Transactions and health records are append-only: a stored one reads back at version 1,
#: as every stored aggregate does.
STORED = 1

# -- helpers -----------------------------------------------------------------------------


def _keys_in(session: SqlSession, column: ColumnElement[Any], values: Sequence[str]) -> Any:
    """``column IN (values)`` with one parameter whatever the count (JSON / array)."""
    if session.sqlite:
        keys = func.json_each(bindparam("keys", json.dumps(list(values)))).table_valued("value")
        return column.in_(select(keys.c.value))
    return column == any_(bindparam("keys", list(values), type_=ARRAY(String)))


# -- transactions ------------------------------------------------------------------------


def transaction_row(transaction: Transaction, *, created_at: datetime) -> dict[str, Any]:
    """The column values of a transaction."""
    return {
        "id": transaction.id,
        "contact_id": transaction.customer,
        "occurred_at": transaction.occurred_at,
        "amount": transaction.amount.amount,
        "currency": transaction.amount.currency,
        "channel": transaction.channel,
        "product": transaction.product,
        "external_id": transaction.external_id,
        "created_at": created_at,
    }


def transaction_from(row: Row) -> Transaction:
    """A transaction from its row."""
    return Transaction(
        id=TransactionId(row["id"]),
        customer=ContactId(row["contact_id"]),
        occurred_at=row["occurred_at"],
        amount=Money(row["amount"], row["currency"]),
        external_id=row["external_id"],
        channel=row["channel"],
        product=row["product"],
        version=STORED,
    )


class SqlTransactionRepository:
    """Transactions in SQL, unique by ``external_id``."""

    def __init__(self, session: SqlSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock
        # external ids this unit of work looked up and found absent, and has not stored
        # since: :meth:`add_many` does not look them up again (the import checks its
        # rows' keys first, then the bus stores the same keys). A row another writer
        # stored in between still cannot be doubled: ``external_id`` is unique.
        self._absent: set[str] = set()

    def add(self, transaction: Transaction) -> None:
        row = transaction_row(transaction, created_at=self._clock.now())
        self._absent.discard(transaction.external_id)
        self._s.write(
            self._summarised(lambda: self._s.conn.execute(insert(t.transactions), row)),
            table=t.transactions,
            row=row,
        )

    def add_many(self, transactions: Sequence[Transaction]) -> int:
        new = self._new(transactions)
        now = self._clock.now()
        if self._s.sqlite and new:
            # the session's bulk insert, run inside the write that adds it to the summary
            sql, params = self._s.sqlite_insert(
                t.transactions, [transaction_row(x, created_at=now) for x in new]
            )
            self._s.write(
                self._summarised(lambda: self._s.conn.exec_driver_sql(sql, params)),
                table=t.transactions,
            )
        else:
            self._s.insert_many(t.transactions, [transaction_row(x, created_at=now) for x in new])
        return len(new)

    def _summarised(self, run: Callable[[], CursorResult[Any]]) -> Callable[[], CursorResult[Any]]:
        """``run`` (an insert into transactions) and, on SQLite, its rows added to
        ``customer_rfm`` by one grouped upsert (PostgreSQL's statement trigger does it
        there; migration 0018). The rows are those past the newest rowid read in the same
        write: a restarted write reads it again."""
        if not self._s.sqlite:
            return run

        def summarised() -> CursorResult[Any]:
            conn = self._s.conn
            before = conn.exec_driver_sql(sqlite_sql.LAST_TRANSACTION_ROWID).scalar_one()
            result = run()
            conn.exec_driver_sql(sqlite_sql.ADD_TO_RFM_SUMMARY, (before,))
            return result

        return summarised

    def _new(self, transactions: Sequence[Transaction]) -> list[Transaction]:
        absent = self._absent
        seen = self.existing_external_ids(
            x.external_id for x in transactions if x.external_id not in absent
        )
        new = []
        for x in transactions:
            key = x.external_id
            if key not in seen:
                seen.add(key)
                absent.discard(key)
                new.append(x)
        return new

    def existing_external_ids(self, external_ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(external_ids))
        if not wanted:
            return set()
        c = t.transactions.c
        stmt = select(c.external_id).where(_keys_in(self._s, c.external_id, wanted))
        found = {r["external_id"] for r in self._s.read(stmt)}
        self._absent.update(k for k in wanted if k not in found)
        return found

    def list_for(self, customer: ContactId) -> Sequence[Transaction]:
        c = t.transactions.c
        stmt = select(t.transactions).where(c.contact_id == customer).order_by(c.occurred_at, c.id)
        return [transaction_from(r) for r in self._s.read(stmt)]

    def rfm_counts(self, *, as_of: date) -> RfmCounts:
        with self._s.translating():
            counts = rfm_segment_counts(
                self._s.conn, t.transactions, as_of=as_of, summary=t.customer_rfm
            )
        return RfmCounts.from_segments(counts)

    def rfm(self, *, as_of: date) -> Sequence[CustomerRfm[ContactId]]:
        with self._s.translating():
            rows = rfm_customers(self._s.conn, t.transactions, as_of=as_of, summary=t.customer_rfm)
        out = [attrs.evolve(row, customer=ContactId(row.customer)) for row in rows]
        return sorted(out, key=lambda r: r.customer)


# -- segments ----------------------------------------------------------------------------


#: Segment attributes stored under other names (``last_updated``: the last refresh).
_SEGMENT = {"filter": "filters", "refreshed_at": "last_updated"}


def segment_row(segment: Segment) -> dict[str, Any]:
    """The column values of a segment."""
    return fields_row(segment, renamed=_SEGMENT)


def segment_from(row: Row, version: int) -> Segment:
    """A segment from its row."""
    return fields_from(
        Segment,
        row,
        renamed=_SEGMENT,
        filter=dict(row["filters"] or {}),
        updated_at=row["updated_at"] or row["last_updated"] or row["created_at"],
        version=version,
    )


class SqlSegmentRepository:
    """Segments in SQL, unique by name, versioned like every aggregate."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _entity(self, row: Row) -> Segment:
        return segment_from(row, self._s.seen_version(t.segments, row["id"], row["version"]))

    def get_by_name(self, name: str) -> Segment | None:
        rows = self._s.read(select(t.segments).where(t.segments.c.name == name))
        return self._entity(rows[0]) if rows else None

    def add(self, segment: Segment) -> None:
        self._s.insert_entity(t.segments, segment_row(segment))

    def save(self, segment: Segment) -> None:
        self._s.update_entity(t.segments, segment_row(segment), segment.version)

    def list(self) -> Sequence[Segment]:
        rows = self._s.read(select(t.segments).order_by(t.segments.c.name))
        return [self._entity(r) for r in rows]


# -- health ------------------------------------------------------------------------------


def health_from(row: Row) -> HealthRecord:
    """A health record from its row."""
    return HealthRecord(
        id=HealthRecordId(row["id"]),
        customer=ContactId(row["contact_id"]),
        score=row["score"],
        level=RiskLevel(row["risk_level"]),
        factors=dict(row["factors"] or {}),
        reasons=tuple(row["reasons"] or ()),
        computed_at=row["computed_at"],
        version=STORED,
    )


def latest_health() -> Any:
    """Each contact's newest health row (by ``computed_at``, then id), as a subquery."""
    h = t.health_scores
    rank = (
        func.row_number()
        .over(partition_by=h.c.contact_id, order_by=(h.c.computed_at.desc(), h.c.id.desc()))
        .label("rank")
    )
    ranked = select(h, rank).where(h.c.contact_id.is_not(None)).subquery("ranked_health")
    return select(ranked).where(ranked.c.rank == 1).subquery("latest_health")


class SqlHealthRepository:
    """Health history in ``health_scores``; ``user_id``/``account_id`` copied from the contact."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, record: HealthRecord) -> None:
        c = t.contacts.c
        source = select(
            literal(record.id, t.health_scores.c.id.type),
            func.coalesce(c.user_id, literal(str(record.customer), String())),
            c.id,
            c.account_id,
            literal(record.score, t.health_scores.c.score.type),
            literal(record.level.value, t.health_scores.c.risk_level.type),
            literal(dict(record.factors), t.health_scores.c.factors.type),
            literal(list(record.reasons), t.health_scores.c.reasons.type),
            literal(record.computed_at, t.health_scores.c.computed_at.type),
        ).where(c.id == record.customer)
        names = [
            "id",
            "user_id",
            "contact_id",
            "account_id",
            "score",
            "risk_level",
            "factors",
            "reasons",
            "computed_at",
        ]
        stmt = insert(t.health_scores).from_select(names, source)
        result = self._s.write(lambda: self._s.conn.execute(stmt), table=t.health_scores)
        if result.rowcount == 0:  # PostgreSQL may report -1 (unknown) for INSERT ... SELECT
            raise MissingReference(f"health score for unknown contact {record.customer}")

    def add_many(self, records: Sequence[HealthRecord]) -> None:
        if not records:
            return
        c = t.contacts.c
        links: dict[ContactId, tuple[str | None, Any]] = {}
        customers = list({r.customer for r in records})
        for chunk in in_chunks(customers):
            stmt = select(c.id, c.user_id, c.account_id).where(c.id.in_(chunk))
            for row in self._s.read(stmt):
                links[ContactId(row["id"])] = (row["user_id"], row["account_id"])
        rows: list[dict[str, Any]] = []
        for record in records:
            link = links.get(record.customer)
            if link is None:
                raise MissingReference(f"health score for unknown contact {record.customer}")
            rows.append(
                {
                    "id": record.id,
                    "user_id": link[0] or str(record.customer),
                    "contact_id": record.customer,
                    "account_id": link[1],
                    "score": record.score,
                    "risk_level": record.level.value,
                    "factors": dict(record.factors),
                    "reasons": list(record.reasons),
                    "computed_at": record.computed_at,
                }
            )
        self._s.insert_many(t.health_scores, rows)

    def latest_of(self, customers: Collection[ContactId]) -> dict[ContactId, HealthRecord]:
        h, c = t.health_scores, t.contacts.c
        wanted = list(dict.fromkeys(customers))
        out: dict[ContactId, HealthRecord] = {}
        # one seek per contact on (contact_id, computed_at), however long their history
        mine = h.alias("mine")
        latest_id = (
            select(mine.c.id)
            .where(mine.c.contact_id == c.id)
            .order_by(mine.c.computed_at.desc(), mine.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        for chunk in in_chunks(wanted):
            ids = select(latest_id).where(c.id.in_(chunk))
            for row in self._s.read(select(h).where(h.c.id.in_(ids))):
                record = health_from(row)
                out[record.customer] = record
        return out

    def history(self, customer: ContactId) -> Sequence[HealthRecord]:
        h = t.health_scores.c
        stmt = select(t.health_scores).where(h.contact_id == customer).order_by(h.computed_at, h.id)
        return [health_from(r) for r in self._s.read(stmt)]

    def latest(self, customer: ContactId) -> HealthRecord | None:
        h = t.health_scores.c
        stmt = (
            select(t.health_scores)
            .where(h.contact_id == customer)
            .order_by(h.computed_at.desc(), h.id.desc())
            .limit(1)
        )
        rows = self._s.read(stmt)
        return health_from(rows[0]) if rows else None

    def latest_all(self) -> Sequence[HealthRecord]:
        latest = latest_health()
        rows = self._s.read(select(latest).order_by(latest.c.contact_id))
        return [health_from(r) for r in rows]

    def mark_due(self, customers: Collection[ContactId], *, at: datetime) -> None:
        wanted = list(dict.fromkeys(customers))
        if not wanted:
            return
        due = t.health_due
        make = sqlite_insert if self._s.sqlite else pg_insert
        # an existing mark is updated to itself, not skipped: the update holds its row
        # until this transaction ends, so a concurrent reassessment (``take_due``, SKIP
        # LOCKED) cannot take it before the facts that marked it again are committed
        stmt = make(due).on_conflict_do_update(
            index_elements=["contact_id"], set_={"since": due.c.since}
        )
        rows = [{"contact_id": c, "since": at} for c in wanted]
        self._s.write(lambda: self._s.conn.execute(stmt, rows), table=due)

    def take_due(self, limit: int) -> Sequence[ContactId]:
        if limit <= 0:
            return []
        due = t.health_due
        # another worker's marks under its open transaction are skipped (PostgreSQL)
        pick = (
            select(due.c.contact_id)
            .order_by(due.c.contact_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = [ContactId(row["contact_id"]) for row in self._s.read(pick)]
        for chunk in in_chunks(taken):
            stmt = delete(due).where(due.c.contact_id.in_(chunk))
            self._s.write(lambda s=stmt: self._s.conn.execute(s), table=due)  # type: ignore[misc]
        return taken

    def due_count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(t.health_due)) or 0)

    def purge_before(self, cutoff: datetime) -> int:
        h = t.health_scores
        keep = select(latest_health().c.id)
        stmt = delete(h).where(h.c.computed_at < cutoff, h.c.id.not_in(keep))
        result = self._s.write(lambda: self._s.conn.execute(stmt), table=h)
        return int(result.rowcount)


# -- audience ----------------------------------------------------------------------------


class SqlAudience:
    """Customer filters compiled to one SELECT over contacts and what they relate to."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _behaviour(self) -> Any:
        """Per-contact aggregates of all transactions: the kept summary ``customer_rfm``."""
        r = t.customer_rfm.c
        total: ColumnElement[Any] = r.monetary
        if self._s.sqlite:  # whole ten-thousandths
            total = type_coerce(r.monetary, Integer()) / float(SUM_SCALE)
        return select(
            r.contact_id.label("contact_id"),
            r.frequency.label("transactions"),
            type_coerce(total, Numeric()).label("monetary"),
            r.first_at.label("first_at"),
            r.last_at.label("last_at"),
        ).subquery("behaviour")

    def columns(self, used: Iterable[str]) -> tuple[dict[str, ColumnElement[Any]], Any]:
        """The column of every catalogue field, and the FROM clause that provides them."""
        c, a = t.contacts.c, t.accounts.c
        source: Any = t.contacts.outerjoin(t.accounts, c.account_id == a.id)
        columns: dict[str, ColumnElement[Any]] = {
            "contact.user_id": c.user_id,
            "contact.email": c.email,
            "contact.phone": c.phone,
            "contact.first_name": func.nullif(c.first_name, ""),
            "contact.last_name": func.nullif(c.last_name, ""),
            "contact.role": c.role,
            "contact.lifecycle": c.lifecycle_stage,
            "contact.preferred_channel": c.preferred_channel,
            "contact.archived": c.archived,
            "contact.created_at": c.created_at,
            "account.name": a.name,
            "account.type": a.type,
            "account.industry": a.industry,
            "account.region": a.region,
            "account.size_range": a.size,
        }
        needed = set(used)
        if any(name.startswith("behaviour.") for name in needed):
            b = self._behaviour()
            source = source.outerjoin(b, b.c.contact_id == c.id)
            columns |= {
                "behaviour.transactions": type_coerce(
                    func.coalesce(b.c.transactions, 0), Numeric()
                ),
                "behaviour.monetary": b.c.monetary,
                "behaviour.first_transaction_at": b.c.first_at,
                "behaviour.last_transaction_at": b.c.last_at,
            }
        if any(name.startswith("score.") for name in needed):
            h = latest_health()
            source = source.outerjoin(h, h.c.contact_id == c.id)
            columns |= {
                "score.health": type_coerce(h.c.score, Numeric()),
                "score.health_level": h.c.risk_level,
            }
        if "card.owner" in needed:
            k = t.loyalty_cards.c
            source = source.outerjoin(t.loyalty_cards, k.id == c.id)
            columns["card.owner"] = k.holder
        missing = needed - set(columns)
        if missing or not needed <= set(CUSTOMER_FIELDS):
            raise KeyError(f"unmapped customer fields: {sorted(missing)}")
        return columns, source

    def members(self, node: Filter, *, now: datetime) -> Sequence[ContactId]:
        columns, source = self.columns(fields_used(node))
        c = t.contacts.c
        where = compile_filter(node, columns, now=now.astimezone(UTC))
        stmt = (
            select(c.id)
            .select_from(source)
            .where(and_(c.archived.is_(False), where))
            .order_by(c.id)
        )
        return [ContactId(r["id"]) for r in self._s.read(stmt)]
