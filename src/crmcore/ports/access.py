"""Storage of what guards and remembers the HTTP surface: API keys, idempotent
responses and outbound webhook subscriptions (each in the unit of work's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crmcore.domain.access import ApiKey, StoredResponse, WebhookSubscription


class ApiKeyRepository(Protocol):
    """API keys by id and by the hash of their token."""

    def add(self, key: ApiKey) -> None: ...
    def save(self, key: ApiKey) -> None: ...
    def get(self, key_id: UUID) -> ApiKey | None: ...
    def find_by_hash(self, key_hash: str) -> ApiKey | None: ...
    def list(self) -> Sequence[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        ...


class IdempotencyStore(Protocol):
    """First responses to POSTs that carried an ``Idempotency-Key``."""

    def get(self, entry_id: UUID) -> StoredResponse | None: ...
    def add(self, entry: StoredResponse) -> None:
        """Store a first response (or a claim, status 0); one already stored under the id
        raises ``DuplicateKey``."""
        ...

    def save(self, entry: StoredResponse) -> None:
        """Replace an entry read at ``entry.version`` (a claim by its response)."""
        ...

    def remove(self, entry_id: UUID) -> None:
        """Forget an entry (a claim whose request failed)."""
        ...

    def prune(self, *, before: datetime) -> int:
        """Forget every entry created before ``before``; how many were forgotten."""
        ...


class RateBuckets(Protocol):
    """Token buckets, one per caller: ``rate`` tokens a second, at most ``burst`` saved.
    An adapter shared by every serving process makes a limit hold across workers."""

    def take(self, key: str) -> float:
        """Spend one token of ``key``: 0 when allowed, else the seconds until one is there."""
        ...


class VerifiedKeys(Protocol):
    """API keys verified a moment ago, by the hash of their token, trusted for a few
    seconds without reading the store (only active keys are kept)."""

    def get(self, digest: str) -> ApiKey | None: ...
    def put(self, digest: str, key: ApiKey) -> None: ...
    def forget(self, digest: str) -> None: ...


class WebhookSubscriptions(Protocol):
    """Outbound webhook subscriptions."""

    def add(self, subscription: WebhookSubscription) -> None: ...
    def save(self, subscription: WebhookSubscription) -> None: ...
    def get(self, subscription_id: UUID) -> WebhookSubscription | None: ...
    def list(self) -> Sequence[WebhookSubscription]:
        """Every subscription, oldest first."""
        ...
