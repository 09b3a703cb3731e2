"""API keys, idempotent responses and webhook subscriptions in SQL (one session)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.access import ApiKey, Scope, StoredResponse, WebhookSubscription


def _key_row(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "scope": key.scope.value,
        "prefix": key.prefix,
        "key_hash": key.key_hash,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scope=Scope(row["scope"]),
        prefix=row["prefix"],
        key_hash=row["key_hash"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        version=row["version"],
    )


class SqlApiKeys:
    """API keys over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, key: ApiKey) -> None:
        self._s.insert_entity(t.api_keys, _key_row(key))

    def save(self, key: ApiKey) -> None:
        self._s.update_entity(t.api_keys, _key_row(key), key.version)

    def get(self, key_id: UUID) -> ApiKey | None:
        rows = self._s.read(select(t.api_keys).where(t.api_keys.c.id == key_id))
        return _key(rows[0]) if rows else None

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        rows = self._s.read(select(t.api_keys).where(t.api_keys.c.key_hash == key_hash))
        return _key(rows[0]) if rows else None

    def list(self) -> Sequence[ApiKey]:
        c = t.api_keys.c
        return [_key(r) for r in self._s.read(select(t.api_keys).order_by(c.created_at, c.id))]


class SqlIdempotency:
    """Stored first responses over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def get(self, entry_id: UUID) -> StoredResponse | None:
        table = t.idempotent_responses
        rows = self._s.read(select(table).where(table.c.id == entry_id))
        if not rows:
            return None
        row = rows[0]
        return StoredResponse(
            id=row["id"],
            fingerprint=row["fingerprint"],
            status=row["status"],
            body=row["body"],
            headers=tuple((str(k), str(v)) for k, v in row["headers"]),
            created_at=row["created_at"],
            version=row["version"],
        )

    def add(self, entry: StoredResponse) -> None:
        self._s.insert_entity(t.idempotent_responses, _response_row(entry))

    def save(self, entry: StoredResponse) -> None:
        self._s.update_entity(t.idempotent_responses, _response_row(entry), entry.version)

    def remove(self, entry_id: UUID) -> None:
        table = t.idempotent_responses
        conn = self._s.conn
        stmt = delete(table).where(table.c.id == entry_id)
        self._s.write(lambda: conn.execute(stmt), table=table)

    def prune(self, *, before: datetime) -> int:
        table = t.idempotent_responses
        conn = self._s.conn
        stmt = delete(table).where(table.c.created_at < before)
        return int(self._s.write(lambda: conn.execute(stmt), table=table).rowcount or 0)


def _response_row(entry: StoredResponse) -> dict[str, Any]:
    return {
        "id": entry.id,
        "fingerprint": entry.fingerprint,
        "status": entry.status,
        "body": entry.body,
        "headers": [list(h) for h in entry.headers],
        "created_at": entry.created_at,
    }


def _subscription_row(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "url": sub.url,
        "event_type": sub.event_type,
        "secret": sub.secret,
        "active": sub.active,
        "created_at": sub.created_at,
    }


def _subscription(row: Any) -> WebhookSubscription:
    return WebhookSubscription(
        id=row["id"],
        url=row["url"],
        event_type=row["event_type"],
        secret=row["secret"],
        active=row["active"],
        created_at=row["created_at"],
        version=row["version"],
    )


class SqlWebhookSubscriptions:
    """Webhook subscriptions over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, subscription: WebhookSubscription) -> None:
        self._s.insert_entity(t.webhook_subscriptions, _subscription_row(subscription))

    def save(self, subscription: WebhookSubscription) -> None:
        self._s.update_entity(
            t.webhook_subscriptions, _subscription_row(subscription), subscription.version
        )

    def get(self, subscription_id: UUID) -> WebhookSubscription | None:
        table = t.webhook_subscriptions
        rows = self._s.read(select(table).where(table.c.id == subscription_id))
        return _subscription(rows[0]) if rows else None

    def list(self) -> Sequence[WebhookSubscription]:
        c = t.webhook_subscriptions.c
        rows = self._s.read(select(t.webhook_subscriptions).order_by(c.created_at, c.id))
        return [_subscription(r) for r in rows]
