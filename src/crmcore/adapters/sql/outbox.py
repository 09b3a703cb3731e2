"""The transactional outbox in SQL (C13): rows written in the use case's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, update

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.codec.events import envelope_from_dict, envelope_to_dict
from crmcore.domain.events import DomainEvent, Envelope


class SqlOutbox:
    """Events waiting to be published, ordered by their position in the table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def append(self, envelopes: Sequence[Envelope[DomainEvent]]) -> None:
        rows = [
            {
                "event_id": e.id,
                "type": e.type,
                "version": e.version,
                "occurred_at": e.occurred_at,
                "envelope": envelope_to_dict(e),
                "status": "pending",
                "attempts": 0,
            }
            for e in envelopes
        ]
        if rows:
            conn = self._s.conn
            self._s.write(lambda: conn.execute(t.outbox.insert(), rows), table=t.outbox)

    def pending(self, *, limit: int = 100) -> Sequence[Envelope[DomainEvent]]:
        o = t.outbox.c
        rows = self._s.read(
            select(o.envelope).where(o.status == "pending").order_by(o.position).limit(limit)
        )
        return [envelope_from_dict(r["envelope"]) for r in rows]

    def mark_sent(self, event_ids: Sequence[UUID]) -> None:
        if not event_ids:
            return
        o = t.outbox.c
        stmt = (
            update(t.outbox)
            .where(o.event_id.in_(list(event_ids)))
            .values(status="sent", attempts=o.attempts + 1)
        )
        conn = self._s.conn
        self._s.write(lambda: conn.execute(stmt), table=t.outbox)
