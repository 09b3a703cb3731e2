"""The transactional outbox in SQL: rows written in the use case's transaction,
relayed in order, with attempts, back-off and a dead-letter state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.codec.events import envelope_from_dict, envelope_to_dict
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.events import OutboxEntry, OutboxStats, OutboxStatus

o = t.outbox.c


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        envelope=envelope_from_dict(row["envelope"]),
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )


class SqlOutbox:
    """Events waiting to be published, ordered by their position in the table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _exec(self, stmt: Any) -> int:
        conn = self._s.conn
        return int(self._s.write(lambda: conn.execute(stmt), table=t.outbox).rowcount)

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None:
        # each time object formatted once (a commit's envelopes share one); by identity,
        # as equal instants in different zones are written differently
        times = {id(e.occurred_at): e.occurred_at for e in envelopes}
        texts = {key: at.isoformat() for key, at in times.items()}
        rows = [
            {
                "event_id": e.id,
                "type": e.type,
                "version": e.version,
                "occurred_at": e.occurred_at,
                "envelope": envelope_to_dict(e, at=texts[id(e.occurred_at)]),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
            }
            for e in envelopes
        ]
        self._s.insert_rows(t.outbox, rows)

    def append_recorded(
        self, ids: Sequence[UUID], occurred_at: datetime, events: Sequence[DomainEvent]
    ) -> None:
        """:meth:`append` of ``Envelope(id=i, occurred_at=occurred_at, payload=e)`` for each
        pair (a commit's events)."""
        self.append(
            [
                Envelope(id=i, occurred_at=occurred_at, payload=e)
                for i, e in zip(ids, events, strict=True)
            ]
        )

    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]:
        return [e.envelope for e in self.pending_entries(limit=limit)]

    def pending_entries(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        stmt = (
            select(t.outbox)
            .where(o.status == OutboxStatus.PENDING.value)
            .order_by(o.position)
            .limit(limit)
        )
        return [_entry(r) for r in self._s.read(stmt)]

    def mark_sent(self, event_ids: Sequence[UUID]) -> None:
        ids = list(event_ids)
        for start in range(0, len(ids), 500):
            self._exec(
                update(t.outbox)
                .where(o.event_id.in_(ids[start : start + 500]), o.status != "sent")
                .values(status=OutboxStatus.SENT.value, attempts=o.attempts + 1)
            )

    def mark_failed(self, event_id: UUID, *, error: str, retry_at: datetime | None) -> None:
        status = OutboxStatus.DEAD if retry_at is None else OutboxStatus.PENDING
        self._exec(
            update(t.outbox)
            .where(o.event_id == event_id, o.status != OutboxStatus.SENT.value)
            .values(
                status=status.value,
                attempts=o.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error[:2000],
            )
        )

    def dead_letters(self, *, limit: int = 100) -> Sequence[OutboxEntry]:
        stmt = (
            select(t.outbox)
            .where(o.status == OutboxStatus.DEAD.value)
            .order_by(o.position)
            .limit(limit)
        )
        return [_entry(r) for r in self._s.read(stmt)]

    def retry_dead(self, event_ids: Sequence[UUID] | None = None) -> int:
        stmt = update(t.outbox).where(o.status == OutboxStatus.DEAD.value)
        if event_ids is not None:
            stmt = stmt.where(o.event_id.in_(list(event_ids)))
        return self._exec(
            stmt.values(status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=None)
        )

    def stats(self) -> OutboxStats:
        counts = {
            r["status"]: r["n"]
            for r in self._s.read(select(o.status, func.count().label("n")).group_by(o.status))
        }
        oldest = self._s.scalar(
            select(func.min(o.occurred_at)).where(o.status == OutboxStatus.PENDING.value)
        )
        return OutboxStats(
            pending=counts.get("pending", 0),
            sent=counts.get("sent", 0),
            dead=counts.get("dead", 0),
            oldest_pending=oldest,
        )


class SqlProcessedMessages:
    """The ``processed_messages`` table: one row per (consumer, event id)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def claim(self, consumer: str, event_id: UUID, *, at: datetime) -> bool:
        values = {"consumer": consumer, "event_id": event_id, "processed_at": at}
        maker = sqlite_insert if self._s.sqlite else pg_insert
        stmt = (
            maker(t.processed_messages)
            .values(values)
            .on_conflict_do_nothing()
            .returning(t.processed_messages.c.event_id)
        )
        conn = self._s.conn
        result = self._s.write(lambda: conn.execute(stmt), table=t.processed_messages)
        return result.first() is not None
