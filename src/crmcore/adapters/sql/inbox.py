"""The inbox on SQL: ``FOR UPDATE SKIP LOCKED`` claims on PostgreSQL, one worker on SQLite.

:class:`SqlInbox` works on a :class:`~sqlalchemy.engine.Connection` inside the caller's
transaction, so the unit of work can apply an event and mark it done in one commit.
Other services may insert rows into ``event_inbox`` directly (``validated`` false): the
worker validates those when it processes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crmcore.adapters.sql.pipeline_tables import inbox as t
from crmcore.domain.inbox import InboxEntry, InboxStatus, entry_key
from crmcore.ports.errors import ConcurrentModification

_FIELDS = (
    "type",
    "payload",
    "validated",
    "status",
    "attempts",
    "next_attempt_at",
    "occurred_at",
    "received_at",
    "last_error",
    "claimed_by",
    "claim_token",
    "lease_until",
    "processed_at",
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(entry: InboxEntry, *, sqlite_naive: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"event_id": entry.event_id, "version": entry.version or 1}
    for name in _FIELDS:
        value = getattr(entry, name)
        if isinstance(value, InboxStatus):
            value = value.value
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
            if sqlite_naive:
                value = value.replace(tzinfo=None)
        row[name] = value
    return row


def _entry(row: sa.Row[Any]) -> InboxEntry:
    m = row._mapping
    return InboxEntry(
        id=entry_key(m["event_id"]),
        event_id=m["event_id"],
        type=m["type"],
        payload=m["payload"],
        validated=bool(m["validated"]),
        status=InboxStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=_utc(m["next_attempt_at"]),  # type: ignore[arg-type]
        occurred_at=_utc(m["occurred_at"]),
        received_at=_utc(m["received_at"]),  # type: ignore[arg-type]
        last_error=m["last_error"],
        claimed_by=m["claimed_by"],
        claim_token=m["claim_token"],
        lease_until=_utc(m["lease_until"]),
        processed_at=_utc(m["processed_at"]),
        version=m["version"],
    )


class SqlInbox:
    """The :class:`~crmcore.ports.pipeline.Inbox` port over one SQL connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._pg = conn.dialect.name == "postgresql"
        self._naive = conn.dialect.name == "sqlite"

    def _t(self, value: datetime) -> datetime:
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if self._naive else value

    def add_many(self, entries: Sequence[InboxEntry]) -> int:
        if not entries:
            return 0
        insert = (postgresql.insert(t) if self._pg else sqlite.insert(t)).on_conflict_do_nothing(
            index_elements=["event_id"]
        )
        rows = [_row(e, sqlite_naive=self._naive) for e in entries]
        result = self._conn.execute(insert.returning(t.c.event_id), rows)
        return len(result.fetchall())

    def get(self, event_id: str) -> InboxEntry | None:
        row = self._conn.execute(sa.select(t).where(t.c.event_id == event_id)).first()
        return _entry(row) if row is not None else None

    def lock_due(self, *, now: datetime, limit: int) -> Sequence[InboxEntry]:
        at = self._t(now)
        query = (
            sa.select(t)
            .where(
                sa.or_(
                    sa.and_(t.c.status == InboxStatus.PENDING.value, t.c.next_attempt_at <= at),
                    sa.and_(t.c.status == InboxStatus.PROCESSING.value, t.c.lease_until <= at),
                )
            )
            .order_by(sa.func.coalesce(t.c.occurred_at, t.c.received_at), t.c.event_id)
            .limit(limit)
        )
        if self._pg:
            query = query.with_for_update(skip_locked=True)
        return [_entry(r) for r in self._conn.execute(query)]

    def save(self, entry: InboxEntry) -> None:
        values = _row(entry, sqlite_naive=self._naive)
        values.pop("event_id")
        values["version"] = entry.version + 1
        result = self._conn.execute(
            sa.update(t)
            .where(t.c.event_id == entry.event_id, t.c.version == entry.version)
            .values(**values)
        )
        if result.rowcount != 1:
            raise ConcurrentModification("inbox", entry.event_id, entry.version)

    def counts(self) -> Mapping[InboxStatus, int]:
        rows = self._conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
        return Counter({InboxStatus(status): n for status, n in rows})

    def list(self, *, status: InboxStatus | None = None, limit: int = 100) -> Sequence[InboxEntry]:
        query = sa.select(t).order_by(
            sa.func.coalesce(t.c.occurred_at, t.c.received_at), t.c.event_id
        )
        if status is not None:
            query = query.where(t.c.status == status.value)
        return [_entry(r) for r in self._conn.execute(query.limit(limit))]
