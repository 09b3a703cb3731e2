"""SQL adapters of the pipeline ports: failed events, review queue, derived facts, and the
unit of work that holds them with the inbox in the same transaction.

Applying an event and marking it done therefore commit together (exactly-once), on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID, uuid5

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crmcore.adapters.memory.pipeline import FactRow, PurchaseRecorder, facts_from_rows
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.domain.errors import FieldError
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import INBOX_NAMESPACE, FailedEvent, FailedStatus
from crmcore.domain.insight import CustomerFacts, Scalar
from crmcore.domain.interactions import BillingKind
from crmcore.domain.money import Money
from crmcore.domain.review import Resolution, ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.ports.intelligence import TransactionRepository
from crmcore.ports.system import IdSource

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
    """The :class:`~crmcore.ports.pipeline.FailedEvents` port in SQL."""

    table = t.failed_events

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, failed: FailedEvent) -> None:
        self._s.insert_entity(self.table, _failed_row(failed))

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
    """The :class:`~crmcore.ports.pipeline.ReviewQueue` port in SQL."""

    table = t.review_items

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, item: ReviewItem) -> None:
        self._s.insert_entity(self.table, _review_row(item))

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


def _fact_value(kind: str, v: Any) -> Any:
    if kind in ("purchase", "billing"):
        return _money(v)
    if kind == "sentiment":
        return Sentiment(label=SentimentLabel(v["label"]), confidence=v["confidence"])
    return v


class SqlFactSink:
    """Every derived fact in ``pipeline_facts``, keyed by (kind, event, name): recording
    the same event twice changes nothing."""

    table = t.pipeline_facts

    def __init__(
        self,
        session: SqlSession,
        *,
        transactions: TransactionRepository | None,
        ids: IdSource,
    ) -> None:
        self._s = session
        self._pg = session.conn.dialect.name == "postgresql"
        self._purchases = PurchaseRecorder(transactions, ids)

    def _put(
        self,
        *,
        contact_id: ContactId,
        event_id: str,
        kind: str,
        occurred_at: datetime,
        name: str = "",
        value: Any = None,
    ) -> None:
        row = {
            "id": uuid5(INBOX_NAMESPACE, f"{kind}\x00{event_id}\x00{name}"),
            "contact_id": contact_id,
            "event_id": event_id,
            "kind": kind,
            "name": name,
            "value": value,
            "occurred_at": occurred_at,
        }
        insert = (
            postgresql.insert(self.table) if self._pg else sqlite.insert(self.table)
        ).on_conflict_do_nothing(index_elements=["id"])
        self._s.write(lambda: self._s.conn.execute(insert, row), table=self.table)

    def record_purchase(
        self, *, contact_id: ContactId, event_id: str, occurred_at: datetime, amount: Money
    ) -> None:
        self._put(
            contact_id=contact_id,
            event_id=event_id,
            kind="purchase",
            occurred_at=occurred_at,
            value=_money_json(amount),
        )
        self._purchases.record(
            contact_id=contact_id, event_id=event_id, occurred_at=occurred_at, amount=amount
        )

    def record_engagement(
        self, *, contact_id: ContactId, event_id: str, kind: str, occurred_at: datetime
    ) -> None:
        self._put(
            contact_id=contact_id,
            event_id=event_id,
            kind="engagement",
            name=kind,
            occurred_at=occurred_at,
        )

    def record_sentiment(
        self,
        *,
        contact_id: ContactId,
        event_id: str,
        sentiment: Sentiment,
        occurred_at: datetime,
    ) -> None:
        self._put(
            contact_id=contact_id,
            event_id=event_id,
            kind="sentiment",
            occurred_at=occurred_at,
            value={"label": sentiment.label.value, "confidence": sentiment.confidence},
        )

    def record_loyalty_fact(
        self,
        *,
        contact_id: ContactId,
        event_id: str,
        name: str,
        value: Scalar,
        occurred_at: datetime,
    ) -> None:
        self._put(
            contact_id=contact_id,
            event_id=event_id,
            kind="loyalty",
            name=name,
            value=value,
            occurred_at=occurred_at,
        )

    def record_billing(
        self,
        *,
        contact_id: ContactId,
        event_id: str,
        kind: BillingKind,
        amount: Money | None,
        occurred_at: datetime,
    ) -> None:
        self._put(
            contact_id=contact_id,
            event_id=event_id,
            kind="billing",
            name=kind.value,
            value=_money_json(amount),
            occurred_at=occurred_at,
        )

    def rows(self, contact_id: ContactId) -> list[FactRow]:
        """A contact's facts in time order."""
        c = self.table.c
        query = (
            sa.select(self.table)
            .where(c.contact_id == contact_id)
            .order_by(c.occurred_at, c.event_id, c.kind, c.name)
        )
        return [
            FactRow(
                id=m["id"],
                contact_id=m["contact_id"],
                event_id=m["event_id"],
                kind=m["kind"],
                name=m["name"],
                value=_fact_value(m["kind"], m["value"]),
                occurred_at=m["occurred_at"],
            )
            for m in self._s.read(query)
        ]

    def facts_for(self, contact_id: ContactId) -> CustomerFacts:
        return facts_from_rows(self.rows(contact_id))


# --- the unit of work ---------------------------------------------------------------


class SqlPipelineUnitOfWork(SqlUnitOfWork):
    """The SQL unit of work with the pipeline's stores in the same transaction."""

    def __enter__(self) -> Self:
        super().__enter__()
        s = self.session
        self.inbox = SqlInbox(s)
        self.failed_events = SqlFailedEvents(s)
        self.review_queue = SqlReviewQueue(s)
        self.facts = SqlFactSink(s, transactions=self.transactions, ids=self._ids)
        return self
