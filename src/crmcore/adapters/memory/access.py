"""API keys, idempotent responses and webhook subscriptions over the memory database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from crmcore.adapters.memory.database import Transaction
from crmcore.domain.access import ApiKey, StoredResponse, WebhookSubscription


class MemoryApiKeys:
    """API keys in one memory transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, key: ApiKey) -> None:
        self._tx.add("api_keys", key)

    def save(self, key: ApiKey) -> None:
        self._tx.save("api_keys", key)

    def get(self, key_id: UUID) -> ApiKey | None:
        found: ApiKey | None = self._tx.get("api_keys", key_id)
        return found

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        return next((k for k in self._tx.rows("api_keys") if k.key_hash == key_hash), None)

    def list(self) -> Sequence[ApiKey]:
        return sorted(self._tx.rows("api_keys"), key=lambda k: (k.created_at, k.id))


class MemoryIdempotency:
    """Stored first responses in one memory transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self, entry_id: UUID) -> StoredResponse | None:
        found: StoredResponse | None = self._tx.get("idempotent_responses", entry_id)
        return found

    def add(self, entry: StoredResponse) -> None:
        self._tx.add("idempotent_responses", entry)

    def save(self, entry: StoredResponse) -> None:
        self._tx.save("idempotent_responses", entry)

    def remove(self, entry_id: UUID) -> None:
        self._tx.delete("idempotent_responses", entry_id)

    def prune(self, *, before: datetime) -> int:
        rows: list[StoredResponse] = list(self._tx.rows("idempotent_responses"))
        old = [r.id for r in rows if r.created_at < before]
        for entry_id in old:
            self._tx.delete("idempotent_responses", entry_id)
        return len(old)


class MemoryWebhookSubscriptions:
    """Webhook subscriptions in one memory transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, subscription: WebhookSubscription) -> None:
        self._tx.add("webhook_subscriptions", subscription)

    def save(self, subscription: WebhookSubscription) -> None:
        self._tx.save("webhook_subscriptions", subscription)

    def get(self, subscription_id: UUID) -> WebhookSubscription | None:
        found: WebhookSubscription | None = self._tx.get("webhook_subscriptions", subscription_id)
        return found

    def list(self) -> Sequence[WebhookSubscription]:
        rows = self._tx.rows("webhook_subscriptions")
        return sorted(rows, key=lambda s: (s.created_at, s.id))
