"""Who may call the HTTP API: API keys and their scopes (read < write < admin).

A key is shown once when it is made; only its hash is kept (ADR 0019). Keys are
high-entropy random tokens, so a plain SHA-256 of the token is enough to find and check
one (a slow password hash buys nothing against a 256-bit secret).
"""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import attrs


class Scope(enum.StrEnum):
    """What a key may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for read, 1 for write, 2 for admin."""
        return list(Scope).index(self)

    def allows(self, required: Scope) -> bool:
        """Whether a key of this scope may call a route that requires ``required``."""
        return self.rank >= required.rank


@attrs.frozen(kw_only=True)
class ApiKey:
    """A stored API key: its name, scope, the hash of its token, and whether revoked."""

    id: UUID
    name: str
    scope: Scope
    prefix: str  # the first characters of the token, to tell keys apart in lists
    key_hash: str  # hex SHA-256 of the whole token
    created_at: datetime
    revoked_at: datetime | None = None
    version: int = 0

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None

    def revoke(self, *, at: datetime) -> ApiKey:
        """The key revoked at ``at`` (revoking twice keeps the first time)."""
        return self if self.revoked_at is not None else attrs.evolve(self, revoked_at=at)


@attrs.frozen(kw_only=True)
class StoredResponse:
    """The first response to a POST with an ``Idempotency-Key``, replayed on a retry."""

    id: UUID  # derived from (key id, idempotency key)
    fingerprint: str  # hash of method, path and body: a different request is refused
    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    created_at: datetime
    version: int = 0

    @property
    def pending(self) -> bool:
        """True while the first request with the key is still running (status 0)."""
        return self.status == 0


@attrs.frozen(kw_only=True)
class WebhookSubscription:
    """An outbound webhook: events of ``event_type`` (``crm.*`` for all) to ``url``."""

    id: UUID
    url: str
    event_type: str
    secret: str  # shared HMAC secret, shown once at creation
    created_at: datetime
    active: bool = True
    version: int = 0

    def wants(self, event_type: str) -> bool:
        """Whether this subscription receives events of ``event_type``."""
        if not self.active:
            return False
        if self.event_type.endswith("*"):
            return event_type.startswith(self.event_type[:-1])
        return event_type == self.event_type
