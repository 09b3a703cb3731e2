"""API keys, idempotent responses and webhook subscriptions in SQL (one session)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.mapping import fields_from, fields_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.access import ApiKey, Scope, StoredResponse, WebhookSubscription


def _key(row: Any) -> ApiKey:
    return fields_from(ApiKey, row, scope=Scope(row["scope"]))


class SqlApiKeys:
    """API keys over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, key: ApiKey) -> None:
        self._s.insert_entity(t.api_keys, fields_row(key))

    def save(self, key: ApiKey) -> None:
        self._s.update_entity(t.api_keys, fields_row(key), key.version)

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
        headers = tuple((str(k), str(v)) for k, v in rows[0]["headers"])
        return fields_from(StoredResponse, rows[0], headers=headers)

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
    return fields_row(entry, headers=[list(h) for h in entry.headers])


class SqlWebhookSubscriptions:
    """Webhook subscriptions over one SQL session."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, subscription: WebhookSubscription) -> None:
        self._s.insert_entity(t.webhook_subscriptions, fields_row(subscription))

    def save(self, subscription: WebhookSubscription) -> None:
        self._s.update_entity(
            t.webhook_subscriptions, fields_row(subscription), subscription.version
        )

    def get(self, subscription_id: UUID) -> WebhookSubscription | None:
        table = t.webhook_subscriptions
        rows = self._s.read(select(table).where(table.c.id == subscription_id))
        return fields_from(WebhookSubscription, rows[0]) if rows else None

    def list(self) -> Sequence[WebhookSubscription]:
        c = t.webhook_subscriptions.c
        rows = self._s.read(select(t.webhook_subscriptions).order_by(c.created_at, c.id))
        return [fields_from(WebhookSubscription, r) for r in rows]
