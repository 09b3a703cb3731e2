"""Idempotent POSTs: the first request with a key claims it, runs, and stores its
response; a retry gets that response again.

The claim is a stored entry with status 0, written before the use case runs, so two
requests with the same key at the same moment do not both run it: the second sees the
claim and is told to retry. A claim older than :data:`CLAIM_LEASE` (its request crashed)
may be taken over. A request that fails gives its claim up, so a retry runs again.

Stored responses live :data:`RESPONSE_TTL`: a key used again after that runs again as
new. Each new claim prunes the entries older than that, so the store holds about one
day of keyed POSTs (docs/http.md).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict
from crmcore.domain.access import StoredResponse
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.ports.uow import UnitOfWork

#: Namespace of the ids of stored responses (uuid5 of ``"<api key id>:<Idempotency-Key>"``).
_NAMESPACE = uuid.UUID("6f1d2a8e-3c1b-4d2e-9a47-0c5e1b7f2d90")
#: How long a claim holds a key before another request may take it over.
CLAIM_LEASE = timedelta(seconds=60)
#: How long a stored response is replayed; older entries are pruned as new ones are claimed.
RESPONSE_TTL = timedelta(hours=24)


def entry_id(caller: UUID, key: str) -> UUID:
    """The id of the response stored for ``caller``'s ``Idempotency-Key: key``."""
    return uuid.uuid5(_NAMESPACE, f"{caller}:{key}")


def caller_id(label: str) -> UUID:
    """The caller id of a request made without an API key (a web form, an event source,
    a dashboard user), under which its ``Idempotency-Key`` values are kept."""
    return uuid.uuid5(_NAMESPACE, f"caller:{label}")


def fingerprint(*parts: str) -> str:
    """A hash of what makes two requests the same (method, path, canonical body)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def recall(app: App, stored_id: UUID) -> Result[StoredResponse | None, AppError]:
    """The response (or claim) stored under ``stored_id``, if any."""
    return transact(app, lambda uow: Success(uow.idempotency.get(stored_id)), commit=False)


def claim(app: App, stored_id: UUID, *, print_: str) -> Result[StoredResponse | None, AppError]:
    """Claim a key for a request: ``None`` when this request may run, else the entry that
    holds the key (a stored response to replay, or another request's live claim)."""
    now = app.clock.now()
    mine = StoredResponse(id=stored_id, fingerprint=print_, status=0, body="", created_at=now)

    def work(uow: UnitOfWork) -> Result[StoredResponse | None, AppError]:
        held = uow.idempotency.get(stored_id)
        if held is None:
            uow.idempotency.add(mine)
        elif held.created_at + (CLAIM_LEASE if held.pending else RESPONSE_TTL) <= now:
            # a crashed claim, or a response past its time: this request runs as new
            uow.idempotency.save(attrs.evolve(mine, version=held.version))
        else:
            return Success(held)
        uow.idempotency.prune(before=now - RESPONSE_TTL)
        return Success(None)

    done = transact(app, work)
    if isinstance(done, Failure) and isinstance(done.failure(), Conflict):
        return recall(app, stored_id)  # another request claimed it between read and write
    return done


def prune_responses(app: App, *, older_than: timedelta = RESPONSE_TTL) -> Result[int, AppError]:
    """Forget the stored responses (and claims) older than ``older_than``; how many went.
    Less than :data:`CLAIM_LEASE` is refused: it could drop a running request's claim and
    let its retry run the POST twice."""
    if older_than < CLAIM_LEASE:
        reason = f"must be at least {int(CLAIM_LEASE.total_seconds())} seconds (a claim's lease)"
        error = FieldError(field="older_than", value=str(older_than), reason=reason)
        return Failure(InvalidInput(errors=(error,)))
    before = app.clock.now() - older_than
    return transact(app, lambda uow: Success(uow.idempotency.prune(before=before)))


def complete(
    app: App,
    stored_id: UUID,
    *,
    status: int,
    body: str,
    headers: Sequence[tuple[str, str]] = (),
) -> Result[StoredResponse, AppError]:
    """Replace this request's claim by its response."""

    def work(uow: UnitOfWork) -> Result[StoredResponse, AppError]:
        held = uow.idempotency.get(stored_id)
        if held is None or not held.pending:
            return Failure(Conflict(detail="the idempotency claim was lost"))
        done = attrs.evolve(held, status=status, body=body, headers=tuple(headers))
        uow.idempotency.save(done)
        return Success(done)

    return transact(app, work)


def release(app: App, stored_id: UUID) -> Result[None, AppError]:
    """Give a claim up (its request failed): a retry runs again."""

    def work(uow: UnitOfWork) -> Result[None, AppError]:
        held = uow.idempotency.get(stored_id)
        if held is not None and held.pending:
            uow.idempotency.remove(stored_id)
        return Success(None)

    return transact(app, work)
