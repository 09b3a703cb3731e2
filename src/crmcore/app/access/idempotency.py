"""Idempotent POSTs: the first response to a key is kept and replayed on a retry."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict
from crmcore.domain.access import StoredResponse
from crmcore.ports.uow import UnitOfWork

#: Namespace of the ids of stored responses (uuid5 of ``"<api key id>:<Idempotency-Key>"``).
_NAMESPACE = uuid.UUID("6f1d2a8e-3c1b-4d2e-9a47-0c5e1b7f2d90")


def entry_id(caller: UUID, key: str) -> UUID:
    """The id of the response stored for ``caller``'s ``Idempotency-Key: key``."""
    return uuid.uuid5(_NAMESPACE, f"{caller}:{key}")


def fingerprint(*parts: str) -> str:
    """A hash of what makes two requests the same (method, path, canonical body)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def recall(app: App, stored_id: UUID) -> Result[StoredResponse | None, AppError]:
    """The response stored under ``stored_id``, if any."""
    return transact(app, lambda uow: Success(uow.idempotency.get(stored_id)), commit=False)


def remember(
    app: App,
    *,
    stored_id: UUID,
    print_: str,
    status: int,
    body: str,
    headers: Sequence[tuple[str, str]] = (),
) -> Result[StoredResponse, AppError]:
    """Keep a first response; when another request stored one first, that one is
    answered (so two racing retries still see one response)."""
    entry = StoredResponse(
        id=stored_id,
        fingerprint=print_,
        status=status,
        body=body,
        headers=tuple(headers),
        created_at=app.clock.now(),
    )

    def work(uow: UnitOfWork) -> Result[StoredResponse, AppError]:
        uow.idempotency.add(entry)
        return Success(entry)

    done = transact(app, work)
    if isinstance(done, Failure) and isinstance(done.failure(), Conflict):
        first = recall(app, stored_id)
        if isinstance(first, Success) and first.unwrap() is not None:
            found = first.unwrap()
            assert found is not None
            return Success(found)
    return done
