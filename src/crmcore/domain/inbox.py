"""The event inbox and the failed-events store (C10 reliability), as pure records.

Accepting an event stores an :class:`InboxEntry`; a worker claims due entries with a
lease, applies them, and marks them done in the same transaction as their effects.
A downstream failure puts the entry back with an exponential backoff (with jitter)
until the attempt limit, then it is dead-lettered. Invalid input never reaches the
inbox: it is kept as a :class:`FailedEvent` with its errors.
"""

from __future__ import annotations

import functools
import zlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from uuid import UUID, uuid5

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, IllegalTransition
from crmcore.domain.statemachine import Machine

#: Namespace of the stable inbox keys derived from producers' event ids.
INBOX_NAMESPACE = UUID("5b0f1a52-6f0e-4c59-9a3c-3f2b7c1e0d11")


def entry_key(event_id: str) -> UUID:
    """The inbox key of a producer's event id: the same id always gives the same key."""
    return uuid5(INBOX_NAMESPACE, event_id)


def customer_key(payload: Any) -> int | None:
    """A stable 31-bit key of the customer an event names (its e-mail, else user id, else
    phone, as stored), ``None`` when it names none. Workers claim whole customers by it,
    so the events of one customer go to one worker at a time; equal keys of two customers
    (a hash collision) only put them in one group."""
    customer = payload.get("customer") if isinstance(payload, dict) else None
    if not isinstance(customer, dict):
        return None
    for field in ("email", "user_id", "phone"):
        value = customer.get(field)
        if isinstance(value, str) and value:
            return zlib.crc32(f"{field}:{value}".encode()) & 0x7FFFFFFF
    return None


class AcceptedEvent(NamedTuple):
    """A validated, normalised event on its way into the inbox (a plain tuple: accepting
    builds one per event, and the store needs nothing else to write a pending entry).

    ``text``, when given, is ``json.dumps(payload)``, already known to the validator.
    """

    event_id: str
    type: str
    payload: dict[str, Any]
    occurred_at: datetime
    text: str | None = None

    def entry(self, *, at: datetime) -> InboxEntry:
        """The pending entry accepting this event at ``at`` stores."""
        return InboxEntry.accept(
            event_id=self.event_id,
            type=self.type,
            payload=self.payload,
            occurred_at=self.occurred_at,
            at=at,
            validated=True,
        )


class InboxStatus(StrEnum):
    """Where an accepted event is."""

    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    REVIEW = "review"
    DEAD = "dead"
    FAILED = "failed"
    DISCARDED = "discarded"


#: The moves an entry may make from each status (the methods of :class:`InboxEntry`):
#: a due entry is claimed; a claimed one is applied, parked for review, rejected as
#: invalid or put back for a retry (dead-lettered at its last attempt), or claimed again
#: once its lease expired; a parked one is applied or discarded by its review; a dead one
#: is revived by an operator. Done, failed and discarded entries are final.
INBOX_MOVES: dict[InboxStatus, tuple[str, ...]] = {
    InboxStatus.PENDING: ("claim",),
    InboxStatus.PROCESSING: ("claim", "done", "park", "reject", "retry"),
    InboxStatus.REVIEW: ("done", "discard"),
    InboxStatus.DEAD: ("revive",),
    InboxStatus.DONE: (),
    InboxStatus.FAILED: (),
    InboxStatus.DISCARDED: (),
}


class InboxMoveRefused(ValueError):
    """An inbox entry was asked for a move its status does not allow (a bug in the
    caller: the worker and the review use cases check the status first)."""

    def __init__(self, refused: IllegalTransition) -> None:
        super().__init__(str(refused))
        self.refused = refused


@attrs.frozen(kw_only=True)
class InboxRetryPolicy:
    """Exponential backoff with jitter: ``base·2^(n-1)`` capped, scaled into [½, 1]."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)
    #: how long a claim holds its entries; a live worker renews it while it works
    #: (a heartbeat), so a dead worker's entries are due again within one lease
    lease: timedelta = timedelta(seconds=30)

    def delay(self, attempt: int, jitter: float) -> timedelta:
        """Wait before attempt ``attempt + 1``; ``jitter`` is a random number in [0, 1)."""
        factor: int = 2 ** max(0, min(attempt - 1, 30))
        raw: timedelta = min(self.cap, self.base * factor)
        return raw * (0.5 + 0.5 * jitter)


@attrs.frozen(kw_only=True)
class InboxEntry:
    """One accepted event and its processing state."""

    event_id: str
    type: str
    payload: dict[str, Any]
    validated: bool = False
    status: InboxStatus = InboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    occurred_at: datetime | None = None
    received_at: datetime
    last_error: str | None = None
    claimed_by: str | None = None
    claim_token: UUID | None = None
    lease_until: datetime | None = None
    processed_at: datetime | None = None
    version: int = 0

    @functools.cached_property
    def id(self) -> UUID:
        """The stable key of the entry (:func:`entry_key` of its event id)."""
        return entry_key(self.event_id)

    @classmethod
    def accept(
        cls,
        *,
        event_id: str,
        type: str,
        payload: dict[str, Any],
        occurred_at: datetime | None,
        at: datetime,
        validated: bool,
    ) -> InboxEntry:
        """A new pending entry, due at once."""
        return cls(
            event_id=event_id,
            type=type,
            payload=payload,
            validated=validated,
            occurred_at=occurred_at,
            received_at=at,
            next_attempt_at=at,
        )

    def is_due(self, now: datetime) -> bool:
        """Claimable: pending and due, or processing with an expired lease (a dead worker)."""
        if self.status is InboxStatus.PENDING:
            return self.next_attempt_at <= now
        if self.status is InboxStatus.PROCESSING:
            return self.lease_until is not None and self.lease_until <= now
        return False

    def allowed(self) -> tuple[str, ...]:
        """The moves this entry may make (:data:`INBOX_MOVES` of its status)."""
        return INBOX_MOVES[self.status]

    def _may(self, move: str) -> None:
        if move not in INBOX_MOVES[self.status]:
            raise InboxMoveRefused(
                IllegalTransition(
                    machine="inbox entry",
                    state=self.status.value,
                    move=move,
                    allowed=INBOX_MOVES[self.status],
                )
            )

    def claim(self, *, worker: str, token: UUID, now: datetime, lease: timedelta) -> InboxEntry:
        """Taken by ``worker`` until ``now + lease``; each claim counts as an attempt."""
        self._may("claim")
        return attrs.evolve(
            self,
            status=InboxStatus.PROCESSING,
            attempts=self.attempts + 1,
            claimed_by=worker,
            claim_token=token,
            lease_until=now + lease,
        )

    def _released(self, status: InboxStatus, **changes: Any) -> InboxEntry:
        return attrs.evolve(
            self, status=status, claimed_by=None, claim_token=None, lease_until=None, **changes
        )

    def done(self, *, at: datetime) -> InboxEntry:
        """Applied; never applied again."""
        self._may("done")
        return self._released(InboxStatus.DONE, processed_at=at, last_error=None)

    def parked(self, *, reason: str, at: datetime) -> InboxEntry:
        """Waiting in the review queue; its resolution applies it."""
        self._may("park")
        return self._released(InboxStatus.REVIEW, last_error=reason, processed_at=at)

    def rejected(self, *, reason: str, at: datetime) -> InboxEntry:
        """Invalid content (written straight into the inbox); kept in failed events."""
        self._may("reject")
        return self._released(InboxStatus.FAILED, last_error=reason, processed_at=at)

    def discarded(self, *, reason: str, at: datetime) -> InboxEntry:
        """Dropped on purpose by an operator (kept, never applied)."""
        self._may("discard")
        return self._released(InboxStatus.DISCARDED, last_error=reason, processed_at=at)

    def retry_later(
        self, *, error: str, now: datetime, policy: InboxRetryPolicy, jitter: float
    ) -> InboxEntry:
        """Back to pending after a backoff, or dead-lettered when attempts are used up."""
        self._may("retry")
        if self.attempts >= policy.max_attempts:
            return self._released(InboxStatus.DEAD, last_error=error)
        return self._released(
            InboxStatus.PENDING,
            last_error=error,
            next_attempt_at=now + policy.delay(self.attempts, jitter),
        )

    def revived(self, *, now: datetime) -> InboxEntry:
        """A dead-lettered entry given a fresh set of attempts by an operator."""
        self._may("revive")
        return self._released(InboxStatus.PENDING, attempts=0, next_attempt_at=now)


@attrs.frozen(kw_only=True)
class Lease:
    """Entries a worker holds: how many, and until when at the latest (unless renewed)."""

    worker: str | None
    events: int
    until: datetime


class FailedStatus(StrEnum):
    """Where a failed event is."""

    OPEN = "open"
    RETRIED = "retried"
    DISCARDED = "discarded"


@attrs.frozen(kw_only=True)
class FailedEvent:
    """Input we could not accept, with every reason; kept until retried or discarded."""

    id: UUID
    raw: str
    errors: tuple[FieldError, ...]
    event_id: str | None = None
    source: str = "ingest"
    line: int | None = None
    status: FailedStatus = FailedStatus.OPEN
    attempts: int = 1
    received_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def reason(self) -> str:
        """All errors on one line."""
        return "; ".join(str(e) for e in self.errors)

    def retried(self, raw: str, *, at: datetime) -> Result[FailedEvent, IllegalTransition]:
        """The event (as ``raw``, fixed or not) was valid this time: it went to the inbox."""
        return self._move("retry", raw=raw, updated_at=at)

    def still_failing(
        self, raw: str, errors: tuple[FieldError, ...], *, at: datetime
    ) -> Result[FailedEvent, IllegalTransition]:
        """Another attempt was refused: it stays open with the new errors, one attempt more."""
        return self._move(
            "fail again", raw=raw, errors=errors, attempts=self.attempts + 1, updated_at=at
        )

    def discarded(self, *, at: datetime) -> Result[FailedEvent, IllegalTransition]:
        """An operator gave up on it on purpose (it stays listed)."""
        return self._move("discard", updated_at=at)

    def _move(self, move: str, **changes: Any) -> Result[FailedEvent, IllegalTransition]:
        fired = FAILED_EVENTS.fire(self.status, move)
        if isinstance(fired, Failure):
            return Failure(fired.failure())
        return Success(attrs.evolve(self, status=fired.unwrap(), **changes))


#: A failed event is open until it is retried into the inbox or discarded; a refused
#: retry leaves it open. Retried and discarded are final.
FAILED_EVENTS = Machine[FailedStatus](
    "failed event",
    {
        (FailedStatus.OPEN, "retry"): FailedStatus.RETRIED,
        (FailedStatus.OPEN, "fail again"): FailedStatus.OPEN,
        (FailedStatus.OPEN, "discard"): FailedStatus.DISCARDED,
    },
)
