"""The inbox on SQL: ``FOR UPDATE SKIP LOCKED`` claims on PostgreSQL, one writer on SQLite.

:class:`SqlInbox` works inside the caller's transaction (a :class:`SqlSession`, or a bare
connection), so the unit of work can apply events and mark them done in one commit.
Other services may insert rows into ``event_inbox`` directly (``validated`` false): the
worker validates those when it processes them.

The claim is two index range scans over ``(status, order_at, event_id)``, one for due
pending entries and one for expired leases, merged in time order; ``order_at`` is the
event's time (or its arrival) stored once, so no expression is sorted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.sql.sqlite import statements as sqlite_sql
from crmcore.adapters.sql.sqlite.converters import stored_datetime
from crmcore.adapters.sql.tables import event_inbox as t
from crmcore.domain.inbox import (
    AcceptedEvent,
    InboxEntry,
    InboxStatus,
    Lease,
    customer_key,
)
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
_STATE = tuple(f for f in _FIELDS if f not in ("type", "payload", "validated", "occurred_at"))


def _row(entry: InboxEntry) -> dict[str, Any]:
    row: dict[str, Any] = {"event_id": entry.event_id}
    for name in _FIELDS:
        value = getattr(entry, name)
        row[name] = value.value if isinstance(value, InboxStatus) else value
    row["order_at"] = entry.occurred_at or entry.received_at
    row["version"] = entry.version or 1
    row["customer_key"] = customer_key(entry.payload)
    return row


def _entry(m: Mapping[Any, Any]) -> InboxEntry:
    return InboxEntry(
        event_id=m["event_id"],
        type=m["type"],
        payload=m["payload"],
        validated=bool(m["validated"]),
        status=InboxStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        occurred_at=m["occurred_at"],
        received_at=m["received_at"],
        last_error=m["last_error"],
        claimed_by=m["claimed_by"],
        claim_token=m["claim_token"],
        lease_until=m["lease_until"],
        processed_at=m["processed_at"],
        version=m["version"],
    )


#: Claims on PostgreSQL take turns (a transaction-scoped advisory lock on this key), so
#: each sees which customers the others hold.
_CLAIM_LOCK = 0x43524D49  # "CRMI"

#: The due entries a PostgreSQL claim takes: whole customers (by ``customer_key``; an
#: entry without one is a group of its own) that no live lease holds, those with the
#: oldest due event first, until the limit (the last customer may be cut: the rest of it
#: stays due, and held).
_CLAIM_BY_CUSTOMER_PG = """
WITH due AS (
    SELECT event_id, COALESCE(customer_key::text, 'e:' || event_id) AS ck, order_at
    FROM event_inbox
    WHERE (status = :pending AND next_attempt_at <= :now)
       OR (status = :processing AND lease_until <= :now)
), free AS (
    SELECT * FROM due WHERE ck NOT IN (
        SELECT COALESCE(customer_key::text, 'e:' || event_id) FROM event_inbox
        WHERE status = :processing AND lease_until > :now)
), groups AS (
    SELECT ck, count(*) AS n,
           sum(count(*)) OVER (ORDER BY min(order_at), min(event_id)) AS upto
    FROM free GROUP BY ck
)
SELECT event_id FROM free
WHERE ck IN (SELECT ck FROM groups WHERE upto - n < :limit)
ORDER BY order_at, event_id
LIMIT :limit"""


def _order(entry: InboxEntry) -> tuple[datetime, str]:
    return (entry.occurred_at or entry.received_at, entry.event_id)


class SqlInbox:
    """The :class:`~crmcore.ports.event_processing.Inbox` port over one SQL transaction."""

    def __init__(self, session: SqlSession | sa.Connection) -> None:
        self._s = session if isinstance(session, SqlSession) else SqlSession(session)
        self._pg = self._s.conn.dialect.name == "postgresql"

    def add_many(self, entries: Sequence[InboxEntry]) -> int:
        if not entries:
            return 0
        rows = [_row(e) for e in entries]
        if not self._pg:  # the fast path: one executemany, duplicates skipped and not counted
            return self._s.insert_rows(t, rows, ignore_conflicts=True)
        insert = (
            postgresql.insert(t)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(t.c.event_id)
        )
        result = self._s.write(lambda: self._s.conn.execute(insert, rows), table=t)
        return len(result.fetchall())

    def accept_many(self, events: Sequence[AcceptedEvent], *, at: datetime) -> int:
        """:meth:`add_many` of ``events``' pending entries; on SQLite straight from the
        tuples to one ``executemany`` (the entries' rows, as ``_row`` and the bulk
        converters write them)."""
        if not events:
            return 0
        if self._pg:
            return self.add_many([e.entry(at=at) for e in events])
        received = stored_datetime(at)
        params = []
        for event_id, kind, payload, occurred, text in events:
            stamp = stored_datetime(occurred)
            text = json.dumps(payload) if text is None else text
            key = customer_key(payload)
            params.append((event_id, kind, text, stamp, stamp, received, received, key))
        return int(
            self._s.write(
                lambda: self._s.conn.exec_driver_sql(sqlite_sql.ACCEPT_INBOX, params), table=t
            ).rowcount
        )

    def get(self, event_id: str) -> InboxEntry | None:
        return self.get_many([event_id]).get(event_id)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, InboxEntry]:
        """The stored entries of ``event_ids`` (those that exist), by event id."""
        if not event_ids:
            return {}
        rows = self._s.read(sa.select(t).where(t.c.event_id.in_(list(event_ids))))
        return {r["event_id"]: _entry(r) for r in rows}

    def lock_due(self, *, now: datetime, limit: int) -> Sequence[InboxEntry]:
        """Due entries in time order, none of a customer a live lease holds (another worker
        is applying that customer's earlier events); PostgreSQL locks them (``SKIP
        LOCKED``). Two scans of the ``(status, order_at, event_id)`` index, merged."""
        c = t.c
        held = sa.select(c.customer_key).where(
            c.status == InboxStatus.PROCESSING.value,
            c.lease_until > now,
            c.customer_key.is_not(None),
        )
        free = sa.or_(c.customer_key.is_(None), c.customer_key.not_in(held))
        pending, expired = (
            sa.select(t)
            .where(c.status == status.value, due, free)
            .order_by(c.status, c.order_at, c.event_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            for status, due in (
                (InboxStatus.PENDING, c.next_attempt_at <= now),
                (InboxStatus.PROCESSING, c.lease_until <= now),
            )
        )
        found = [_entry(r) for r in self._s.read(pending)]
        found += [_entry(r) for r in self._s.read(expired)]
        found.sort(key=_order)
        return found[:limit]

    def _lock_customers(self, *, now: datetime, limit: int) -> list[InboxEntry]:
        """PostgreSQL: lock the due entries of whole customers no live lease holds
        (:data:`_CLAIM_BY_CUSTOMER_PG`), claims taking turns, so two workers never hold
        events of one customer and each customer's events are applied in order."""
        conn = self._s.conn
        with self._s.translating():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})
            ids = (
                conn.execute(
                    sa.text(_CLAIM_BY_CUSTOMER_PG).bindparams(
                        sa.bindparam("now", type_=t.c.lease_until.type)
                    ),
                    {
                        "pending": InboxStatus.PENDING.value,
                        "processing": InboxStatus.PROCESSING.value,
                        "now": now,
                        "limit": limit,
                    },
                )
                .scalars()
                .all()
            )
        if not ids:
            return []
        query = sa.select(t).where(t.c.event_id.in_(list(ids))).with_for_update(skip_locked=True)
        found = [_entry(r) for r in self._s.read(query)]
        found.sort(key=_order)
        return found

    def claim_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        """Claim due entries: the due ones locked (PostgreSQL: whole customers no live lease
        holds, ``SKIP LOCKED``; SQLite, one writer at a time: :meth:`lock_due`), then
        claimed with one bulk update."""
        due = self._lock_customers if self._pg else self.lock_due
        claimed = [
            e.claim(worker=worker, token=token, now=now, lease=lease)
            for e in due(now=now, limit=limit)
        ]
        self.save_many(claimed)
        return [attrs.evolve(e, version=e.version + 1) for e in claimed]

    def take_due(
        self, *, now: datetime, limit: int, worker: str, token: UUID, lease: timedelta
    ) -> Sequence[InboxEntry]:
        """Due entries as :meth:`InboxEntry.claim` leaves them, the claim not written: the
        caller applies and finishes them in this transaction (:meth:`lock_due`). Their
        ``version`` is the stored one."""
        return [
            e.claim(worker=worker, token=token, now=now, lease=lease)
            for e in self.lock_due(now=now, limit=limit)
        ]

    def mark_taken_done(self, entries: Sequence[InboxEntry], *, at: datetime) -> None:
        """Store entries of :meth:`take_due` as done (the claim's attempt counted), in
        one statement; ``ConcurrentModification`` unless each is still at its version."""
        if not entries:
            return
        if self._pg:
            self.save_many([e.done(at=at) for e in entries])
            return
        when = stored_datetime(at)
        params = [(e.attempts, when, e.event_id, e.version) for e in entries]
        result = self._s.write(
            lambda: self._s.conn.exec_driver_sql(sqlite_sql.DONE, params), table=t
        )
        if result.rowcount != len(entries):
            first = entries[0]
            raise ConcurrentModification("inbox", first.event_id, first.version)

    def save(self, entry: InboxEntry) -> None:
        self.save_many([entry])

    def save_many(self, entries: Sequence[InboxEntry]) -> None:
        """Store changed entries (their processing state) in one statement.

        ``ConcurrentModification`` when any of them changed since it was read.
        """
        if not entries:
            return
        values: dict[str, Any] = {name: sa.bindparam(f"v_{name}") for name in _STATE}
        stmt = (
            sa.update(t)
            .where(t.c.event_id == sa.bindparam("k_event_id"), t.c.version == sa.bindparam("k_v"))
            .values(**values, version=sa.bindparam("v_version"))
        )
        params = []
        for e in entries:
            row = _row(e)
            p = {f"v_{name}": row[name] for name in _STATE}
            p.update(k_event_id=e.event_id, k_v=e.version, v_version=e.version + 1)
            params.append(p)
        result = self._s.write(lambda: self._s.conn.execute(stmt, params), table=t)
        if result.rowcount != len(entries):
            first = entries[0]
            raise ConcurrentModification("inbox", first.event_id, first.version)

    def mark_done(self, event_ids: Sequence[str], *, token: UUID, at: datetime) -> None:
        """Mark entries claimed with ``token`` done, in one statement.

        ``ConcurrentModification`` unless every one of them is still held by that claim.
        """
        if not event_ids:
            return
        stmt = (
            sa.update(t)
            .where(
                t.c.event_id.in_(list(event_ids)),
                t.c.claim_token == token,
                t.c.status == InboxStatus.PROCESSING.value,
            )
            .values(
                status=InboxStatus.DONE.value,
                processed_at=at,
                last_error=None,
                claimed_by=None,
                claim_token=None,
                lease_until=None,
                version=t.c.version + 1,
            )
        )
        result = self._s.write(lambda: self._s.conn.execute(stmt), table=t)
        if result.rowcount != len(set(event_ids)):
            raise ConcurrentModification("inbox", event_ids[0], 0)

    def renew(self, token: UUID, *, until: datetime) -> int:
        # rows the claim's own transaction has locked (marking them done) are skipped:
        # a heartbeat never waits for its worker, so the two cannot deadlock
        held = (
            sa.select(t.c.event_id)
            .where(t.c.claim_token == token, t.c.status == InboxStatus.PROCESSING.value)
            .order_by(t.c.event_id)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            sa.update(t).where(t.c.event_id.in_(held.scalar_subquery())).values(lease_until=until)
        )
        return int(self._s.write(lambda: self._s.conn.execute(stmt), table=t).rowcount)

    def leases(self, *, now: datetime) -> Sequence[Lease]:
        query = (
            sa.select(
                t.c.claimed_by,
                sa.func.count().label("n"),
                sa.func.max(t.c.lease_until).label("until"),
            )
            .where(t.c.status == InboxStatus.PROCESSING.value, t.c.lease_until > now)
            .group_by(t.c.claimed_by)
            .order_by(t.c.claimed_by)
        )
        return [
            Lease(worker=r["claimed_by"], events=r["n"], until=r["until"])
            for r in self._s.read(query)
        ]

    def counts(self) -> Mapping[InboxStatus, int]:
        rows = self._s.read(sa.select(t.c.status, sa.func.count().label("n")).group_by(t.c.status))
        return Counter({InboxStatus(r["status"]): r["n"] for r in rows})

    def list(self, *, status: InboxStatus | None = None, limit: int = 100) -> Sequence[InboxEntry]:
        query = sa.select(t).order_by(t.c.order_at, t.c.event_id)
        if status is not None:
            query = query.where(t.c.status == status.value)
        return [_entry(r) for r in self._s.read(query.limit(limit))]
