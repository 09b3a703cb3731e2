"""SQL adapters of the pipeline ports: failed events, review queue, derived facts, and the
unit of work that holds them with the inbox in the same transaction.

Applying an event and marking it done therefore commit together (exactly-once), on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.chunks import in_chunks
from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.sql.sqlite import statements as sqlite_sql
from crmcore.adapters.sql.sqlite.converters import stored_datetime
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.domain.errors import FieldError
from crmcore.domain.facts import Fact, FactKind, fold_facts
from crmcore.domain.health_signals import WINDOW
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import FailedEvent, FailedStatus
from crmcore.domain.insight import CustomerFacts
from crmcore.domain.money import Money
from crmcore.domain.review import Resolution, ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import Sentiment, SentimentLabel

# --- failed events ------------------------------------------------------------------


def _failed_row(f: FailedEvent) -> dict[str, Any]:
    return {
        "id": f.id,
        "raw": f.raw,
        "errors": [{"field": e.field, "value": e.value, "reason": e.reason} for e in f.errors],
        "event_id": f.event_id,
        "source": f.source,
        "line": f.line,
        "status": f.status.value,
        "attempts": f.attempts,
        "received_at": f.received_at,
        "updated_at": f.updated_at,
    }


def _failed(m: sa.RowMapping, version: int) -> FailedEvent:
    return FailedEvent(
        id=m["id"],
        raw=m["raw"],
        errors=tuple(
            FieldError(field=e["field"], value=e["value"], reason=e["reason"]) for e in m["errors"]
        ),
        event_id=m["event_id"],
        source=m["source"],
        line=m["line"],
        status=FailedStatus(m["status"]),
        attempts=m["attempts"],
        received_at=m["received_at"],
        updated_at=m["updated_at"],
        version=version,
    )


class SqlFailedEvents:
    """The :class:`~crmcore.ports.event_processing.FailedEvents` port in SQL."""

    table = t.failed_events

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, failed: FailedEvent) -> None:
        self._s.insert_entity(self.table, _failed_row(failed))

    def add_many(self, failed: Sequence[FailedEvent]) -> None:
        self._s.insert_many(self.table, [_failed_row(f) for f in failed])

    def get(self, failed_id: UUID) -> FailedEvent | None:
        rows = self._s.read(sa.select(self.table).where(self.table.c.id == failed_id))
        return self._from(rows[0]) if rows else None

    def save(self, failed: FailedEvent) -> None:
        self._s.update_entity(self.table, _failed_row(failed), failed.version)

    def list(
        self, *, status: FailedStatus | None = FailedStatus.OPEN, limit: int = 100
    ) -> Sequence[FailedEvent]:
        c = self.table.c
        query = sa.select(self.table).order_by(c.received_at, c.id).limit(limit)
        if status is not None:
            query = query.where(c.status == status.value)
        return [self._from(r) for r in self._s.read(query)]

    def count(self, *, status: FailedStatus | None = FailedStatus.OPEN) -> int:
        """How many failed events there are (with ``status``)."""
        query = sa.select(sa.func.count()).select_from(self.table)
        if status is not None:
            query = query.where(self.table.c.status == status.value)
        return int(self._s.scalar(query))

    def _from(self, m: sa.RowMapping) -> FailedEvent:
        return _failed(m, self._s.seen_version(self.table, m["id"], m["version"]))


# --- the review queue ---------------------------------------------------------------


def _resolution_json(r: Resolution | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "label": r.label.value if r.label else None,
        "contact_id": str(r.contact_id) if r.contact_id else None,
        "discard": r.discard,
        "by": r.by,
        "note": r.note,
    }


def _resolution(v: dict[str, Any] | None) -> Resolution | None:
    if v is None:
        return None
    return Resolution(
        label=SentimentLabel(v["label"]) if v.get("label") else None,
        contact_id=ContactId(UUID(v["contact_id"])) if v.get("contact_id") else None,
        discard=bool(v.get("discard")),
        by=v.get("by"),
        note=v.get("note") or "",
    )


def _review_row(i: ReviewItem) -> dict[str, Any]:
    return {
        "id": i.id,
        "event_id": i.event_id,
        "reason": i.reason.value,
        "detail": i.detail,
        "proposed_action": i.proposed_action,
        "proposed_label": i.proposed_label.value if i.proposed_label else None,
        "confidence": i.confidence,
        "candidates": [str(c) for c in i.candidates],
        "status": i.status.value,
        "resolution": _resolution_json(i.resolution),
        "created_at": i.created_at,
        "resolved_at": i.resolved_at,
    }


class SqlReviewQueue:
    """The :class:`~crmcore.ports.event_processing.ReviewQueue` port in SQL."""

    table = t.review_items

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, item: ReviewItem) -> None:
        self._s.insert_entity(self.table, _review_row(item))

    def add_many(self, items: Sequence[ReviewItem]) -> None:
        self._s.insert_many(self.table, [_review_row(i) for i in items])

    def get(self, item_id: UUID) -> ReviewItem | None:
        rows = self._s.read(sa.select(self.table).where(self.table.c.id == item_id))
        return self._from(rows[0]) if rows else None

    def save(self, item: ReviewItem) -> None:
        self._s.update_entity(self.table, _review_row(item), item.version)

    def list(
        self,
        *,
        status: ReviewStatus | None = ReviewStatus.OPEN,
        reason: ReviewReason | None = None,
        limit: int = 100,
    ) -> Sequence[ReviewItem]:
        c = self.table.c
        query = sa.select(self.table).order_by(c.created_at, c.id).limit(limit)
        if status is not None:
            query = query.where(c.status == status.value)
        if reason is not None:
            query = query.where(c.reason == reason.value)
        return [self._from(r) for r in self._s.read(query)]

    def count(self, *, status: ReviewStatus | None = ReviewStatus.OPEN) -> int:
        """How many review items there are (with ``status``)."""
        query = sa.select(sa.func.count()).select_from(self.table)
        if status is not None:
            query = query.where(self.table.c.status == status.value)
        return int(self._s.scalar(query))

    def _from(self, m: sa.RowMapping) -> ReviewItem:
        return ReviewItem(
            id=m["id"],
            event_id=m["event_id"],
            reason=ReviewReason(m["reason"]),
            detail=m["detail"],
            proposed_action=m["proposed_action"],
            proposed_label=SentimentLabel(m["proposed_label"]) if m["proposed_label"] else None,
            confidence=m["confidence"],
            candidates=tuple(ContactId(UUID(c)) for c in m["candidates"]),
            status=ReviewStatus(m["status"]),
            resolution=_resolution(m["resolution"]),
            created_at=m["created_at"],
            resolved_at=m["resolved_at"],
            version=self._s.seen_version(self.table, m["id"], m["version"]),
        )


# --- derived facts ------------------------------------------------------------------


def _money_json(m: Money | None) -> dict[str, str] | None:
    return None if m is None else {"amount": str(m.amount), "currency": m.currency}


def _money(v: dict[str, str] | None) -> Money | None:
    return None if v is None else Money(amount=Decimal(v["amount"]), currency=v["currency"])


def fact_row(fact: Fact) -> dict[str, Any]:
    """A fact as its row."""
    return {
        "contact_id": fact.contact_id,
        "event_id": fact.event_id,
        "kind": fact.kind.value,
        "name": fact.name,
        "value": _fact_json(fact),
        "occurred_at": fact.occurred_at,
    }


def _fact_json(fact: Fact) -> Any:
    v = fact.value
    if fact.kind is FactKind.PURCHASE or fact.kind is FactKind.BILLING:
        return _money_json(v)
    if fact.kind is FactKind.SENTIMENT:
        return {"label": v.label.value, "confidence": v.confidence}
    return v


def _fact_value(kind: FactKind, v: Any) -> Any:
    if kind is FactKind.PURCHASE or kind is FactKind.BILLING:
        return _money(v)
    if kind is FactKind.SENTIMENT:
        return Sentiment(label=SentimentLabel(v["label"]), confidence=v["confidence"])
    return v


def _add_facts(rows: Iterable[Mapping[Any, Any]], out: dict[ContactId, list[Fact]]) -> None:
    """The facts of read rows, added to their contacts' lists in ``out``."""
    for m in rows:
        kind = FactKind(m["kind"])
        out.setdefault(m["contact_id"], []).append(
            Fact(
                contact_id=m["contact_id"],
                event_id=m["event_id"],
                kind=kind,
                name=m["name"],
                value=_fact_value(kind, m["value"]),
                occurred_at=m["occurred_at"],
            )
        )


class SqlFactSink:
    """Every derived fact in ``pipeline_facts``, keyed by (contact, time, event, kind,
    name) — an event fixes its contact and time, so recording it twice changes nothing."""

    table = t.pipeline_facts

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self._pg = session.conn.dialect.name == "postgresql"

    def record_many(self, facts: Sequence[Fact]) -> None:
        if not facts:
            return
        rows = [fact_row(f) for f in facts]
        if self._s.sqlite:
            self._s.insert_rows(self.table, rows, ignore_conflicts=True)
            return
        insert = postgresql.insert(self.table).on_conflict_do_nothing(
            index_elements=["contact_id", "occurred_at", "event_id", "kind", "name"]
        )
        self._s.write(lambda: self._s.conn.execute(insert, rows), table=self.table)

    def facts_of(self, contact_ids: Collection[ContactId]) -> dict[ContactId, list[Fact]]:
        out: dict[ContactId, list[Fact]] = {}
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return out
        self._read_facts(wanted, out)
        for facts in out.values():
            facts.sort(key=lambda f: f.order)
        return out

    def _sqlite_read(
        self,
        sql: str,
        wanted: list[ContactId],
        more: tuple[Any, ...],
        out: dict[ContactId, list[Fact]],
    ) -> None:
        with self._s.translating():
            params = (json.dumps([k.hex for k in wanted]), *more)
            raw = self._s.conn.exec_driver_sql(sql, params).fetchall()
        _add_facts(self._s.stored_rows(self.table, sqlite_sql.FACT_COLUMNS, raw), out)

    def _read_facts(
        self,
        wanted: list[ContactId],
        out: dict[ContactId, list[Fact]],
        statement: Callable[[Sequence[ContactId]], sa.Select[Any] | sa.CompoundSelect[Any]] = (
            lambda chunk: _fact_columns(t.pipeline_facts).where(
                t.pipeline_facts.c.contact_id.in_(chunk)
            )
        ),
    ) -> None:
        for chunk in in_chunks(wanted):
            _add_facts(self._s.read(statement(chunk)), out)

    def health_facts_of(
        self, contact_ids: Collection[ContactId], *, now: datetime
    ) -> dict[ContactId, list[Fact]]:
        """One query per batch: per contact and group (activity, NPS, sentiment) the
        latest row by the facts' order, plus the engagement inside the window."""
        out: dict[ContactId, list[Fact]] = {}
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return out
        since = now - WINDOW
        if self._s.sqlite:
            at = stored_datetime
            self._sqlite_read(sqlite_sql.HEALTH_FACTS_OF, wanted, (at(now), at(since)), out)
        else:
            self._read_facts(wanted, out, lambda ids: _pg_health_facts(ids, now=now, since=since))
        for facts in out.values():
            facts.sort(key=lambda f: f.order)
        return out

    def latest_nps_of(self, contact_ids: Collection[ContactId]) -> dict[ContactId, Fact]:
        """Each contact's last ``loyalty``/``nps`` fact: one index scan per contact."""
        out: dict[ContactId, list[Fact]] = {}
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return {}
        if self._s.sqlite:
            self._sqlite_read(sqlite_sql.LATEST_NPS_OF, wanted, (), out)
        else:
            self._read_facts(wanted, out, lambda ids: _pg_latest_each(ids, _nps_answer))
        return {contact: facts[0] for contact, facts in out.items()}

    def facts_for(self, contact_id: ContactId) -> CustomerFacts:
        return fold_facts(self.facts_of([contact_id]).get(contact_id, ()))


def _fact_columns(table: sa.FromClause) -> sa.Select[Any]:
    c = table.c
    return sa.select(c.contact_id, c.event_id, c.kind, c.name, c.value, c.occurred_at)


def _inline(value: str) -> sa.BindParameter[str]:
    # a constant the planner sees (a bound parameter hides it from a generic plan, and
    # with it the partial indexes whose terms it makes true)
    return sa.literal(value, sa.String, literal_execute=True)


def _nps_answer(c: sa.ColumnCollection[str, Any]) -> sa.ColumnElement[bool]:
    # the partial index ``ix_pipeline_facts_nps``'s own terms
    return sa.and_(c.kind == _inline(FactKind.LOYALTY.value), c.name == _inline("nps"))


def _pg_latest_each(
    chunk: Sequence[ContactId], where: Callable[[sa.ColumnCollection[str, Any]], Any]
) -> sa.Select[Any]:
    """Per contact of ``chunk``, their latest fact matching ``where`` by the facts' order
    (text by code point, ``COLLATE "C"``, as Python compares): one backward index scan
    each (``LATERAL ... LIMIT 1``), however many facts they have."""
    ids = (
        sa.func.unnest(sa.literal(list(chunk), postgresql.ARRAY(sa.Uuid)))
        .table_valued("id")
        .render_derived(name="ids")
    )
    f = t.pipeline_facts.alias("f")
    latest = (
        _fact_columns(f)
        .where(f.c.contact_id == ids.c.id, where(f.c))
        .order_by(
            f.c.occurred_at.desc(),
            f.c.event_id.collate("C").desc(),
            f.c.kind.collate("C").desc(),
            f.c.name.collate("C").desc(),
        )
        .limit(1)
        .lateral("latest")
    )
    return sa.select(*latest.c).select_from(ids).join(latest, sa.true())


def _pg_health_facts(
    chunk: Sequence[ContactId], *, now: datetime, since: datetime
) -> sa.CompoundSelect[Any]:
    """``HEALTH_FACTS_OF`` of SQLite for PostgreSQL: the engagement inside the window,
    plus each contact's latest activity (unless the window has it), valid NPS answer and
    sentiment; each part bounded by the window or one index scan."""
    c = t.pipeline_facts.c
    engagement, purchase = FactKind.ENGAGEMENT.value, FactKind.PURCHASE.value
    window = _fact_columns(t.pipeline_facts).where(
        c.contact_id.in_(chunk), c.kind == engagement, c.occurred_at >= since, c.occurred_at <= now
    )

    def activity(f: sa.ColumnCollection[str, Any]) -> sa.ColumnElement[bool]:
        return sa.and_(f.kind.in_([engagement, purchase]), f.occurred_at <= now)

    def valid_nps(f: sa.ColumnCollection[str, Any]) -> sa.ColumnElement[bool]:
        # JSON text of an integer 0-10 (what ``json.loads`` reads as such an int)
        return sa.and_(
            _nps_answer(f),
            sa.cast(f.value, sa.Text).regexp_match("^([0-9]|10)$"),
            f.occurred_at <= now,
        )

    def sentiment(f: sa.ColumnCollection[str, Any]) -> sa.ColumnElement[bool]:
        return sa.and_(
            f.kind == _inline(FactKind.SENTIMENT.value), f.value.is_not(None), f.occurred_at <= now
        )

    active = _pg_latest_each(chunk, activity).subquery()
    not_in_window = sa.not_(sa.and_(active.c.kind == engagement, active.c.occurred_at >= since))
    return sa.union_all(
        window,
        sa.select(*active.c).where(not_in_window),
        _pg_latest_each(chunk, valid_nps),
        _pg_latest_each(chunk, sentiment),
    )


# --- the unit of work ---------------------------------------------------------------


class SqlEventUnitOfWork(SqlUnitOfWork):
    """The SQL unit of work with the pipeline's stores in the same transaction."""

    def __enter__(self) -> Self:
        super().__enter__()
        s = self.session
        self.inbox = SqlInbox(s)
        self.failed_events = SqlFailedEvents(s)
        self.review_queue = SqlReviewQueue(s)
        self.facts = SqlFactSink(s)
        return self
