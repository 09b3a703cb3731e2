"""API key use cases: create (the token is shown once), list, revoke, authenticate."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.access import ApiKey, Scope
from crmcore.ports.uow import UnitOfWork

#: Tokens look like ``crm_<43 url-safe characters>`` (256 random bits).
TOKEN_PREFIX = "crm_"
#: Characters of a token kept in clear to tell keys apart in ``crm apikeys list``.
SHOWN_PREFIX = 10


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 (tokens are random, see ADR 0019)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class NewApiKey:
    """A key just made, with its token: the only time the token exists outside a client."""

    key: ApiKey
    token: str


def create_api_key(app: App, *, name: str, scope: str) -> Result[NewApiKey, AppError]:
    """Make a key of ``scope`` (read, write or admin); only its hash is stored."""
    check = Collector()
    if not name.strip() or len(name) > 100:
        check.fail("name", name, "must be 1 to 100 characters")
    parsed = check.choice("scope", scope, Scope)
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert parsed is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=app.ids.new(),
        name=name.strip(),
        scope=parsed,
        prefix=token[:SHOWN_PREFIX],
        key_hash=hash_token(token),
        created_at=app.clock.now(),
    )

    def work(uow: UnitOfWork) -> Result[NewApiKey, AppError]:
        uow.api_keys.add(key)
        return Success(NewApiKey(key=key, token=token))

    return transact(app, work)


def list_api_keys(app: App) -> Result[Sequence[ApiKey], AppError]:
    """Every key, revoked ones too (no tokens: they are not stored)."""
    return transact(app, lambda uow: Success(uow.api_keys.list()))


def revoke_api_key(app: App, key_id: UUID) -> Result[ApiKey, AppError]:
    """Revoke a key: it authenticates nothing from now on."""

    def work(uow: UnitOfWork) -> Result[ApiKey, AppError]:
        key = uow.api_keys.get(key_id)
        if key is None:
            return Failure(NotFound(kind="api key", key=str(key_id)))
        revoked = key.revoke(at=app.clock.now())
        if revoked is not key:
            uow.api_keys.save(revoked)
        return Success(revoked)

    return transact(app, work)


def authenticate(app: App, token: str) -> Result[ApiKey | None, AppError]:
    """The active key a token belongs to, or ``None`` (unknown, malformed or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return Success(None)
    digest = hash_token(token)

    def work(uow: UnitOfWork) -> Result[ApiKey | None, AppError]:
        key = uow.api_keys.find_by_hash(digest)
        if key is None or not key.active or not secrets.compare_digest(key.key_hash, digest):
            return Success(None)
        return Success(key)

    return transact(app, work, commit=False)
