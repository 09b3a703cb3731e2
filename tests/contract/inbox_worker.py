"""A worker process for the multi-process inbox tests: claim with a lease, apply, mark done.

"Applying" inserts a row into ``applied`` in the same transaction as marking the entry
done, so a row there per event proves the event was applied; two rows would be a double.
Usage: ``python -m tests.contract.inbox_worker URL WORKER LEASE_SECONDS [SLEEP [take]]``
(``take``: the one-writer worker, taking, applying and finishing a batch in one
transaction).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import sqlalchemy as sa

from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.domain.inbox import InboxStatus

applied_metadata = sa.MetaData()
applied = sa.Table(
    "applied",
    applied_metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("worker", sa.String(50), nullable=False),
)


def work_taking(url: str, worker: str, lease: timedelta, pause: float) -> int:
    """The one-writer worker: take a batch, apply it and mark it done in one transaction
    (``Inbox.take_due``); returns how many events it applied."""
    engine = sa.create_engine(url)
    done = 0
    while True:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            inbox = SqlInbox(conn)
            taken = inbox.take_due(now=now, limit=5, worker=worker, token=uuid4(), lease=lease)
            for entry in taken:
                conn.execute(sa.insert(applied).values(event_id=entry.event_id, worker=worker))
                time.sleep(pause)
            inbox.mark_taken_done(taken, at=datetime.now(UTC))
        if not taken:
            break
        done += len(taken)
    engine.dispose()
    return done


def work(url: str, worker: str, lease: timedelta, pause: float) -> int:
    """Process until nothing is due; returns how many events this worker applied."""
    engine = sa.create_engine(url)
    done = 0
    idle = 0
    while idle < 3:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            inbox = SqlInbox(conn)
            claimed = []
            for entry in inbox.lock_due(now=now, limit=5):
                taken = entry.claim(worker=worker, token=uuid4(), now=now, lease=lease)
                inbox.save(taken)
                claimed.append(taken)
        if not claimed:
            idle += 1
            time.sleep(lease.total_seconds() / 2)
            continue
        idle = 0
        for entry in claimed:
            with engine.begin() as conn:
                inbox = SqlInbox(conn)
                current = inbox.get(entry.event_id)
                if (
                    current is None
                    or current.status is not InboxStatus.PROCESSING
                    or current.claim_token != entry.claim_token
                ):
                    continue
                conn.execute(sa.insert(applied).values(event_id=entry.event_id, worker=worker))
                time.sleep(pause)
                inbox.save(current.done(at=datetime.now(UTC)))
                done += 1
    engine.dispose()
    return done


if __name__ == "__main__":
    url, name, lease_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    run = work_taking if len(sys.argv) > 5 and sys.argv[5] == "take" else work
    print(run(url, name, timedelta(seconds=lease_s), pause))
