"""Redis Streams publisher: ``XADD <stream> * id <event id> type <type> envelope <json>``."""

from __future__ import annotations

from typing import Any

import redis

from crmcore.codec.events import dumps
from crmcore.domain.events import DomainEvent, Envelope

DEFAULT_STREAM = "crm.events"


class PublishFailed(Exception):
    """The broker refused or could not be reached."""


class RedisStreamsPublisher:
    """Publishes each envelope as one stream entry carrying the event id, so consumers
    de-duplicate re-deliveries by that id (the relay is at-least-once)."""

    def __init__(
        self, url: str, *, stream: str = DEFAULT_STREAM, maxlen: int | None = None
    ) -> None:
        self._client: Any = redis.Redis.from_url(url, socket_timeout=5)
        self.stream = stream
        self._maxlen = maxlen

    def publish(self, envelope: Envelope[DomainEvent]) -> None:
        fields = {"id": str(envelope.id), "type": envelope.type, "envelope": dumps(envelope)}
        try:
            self._client.xadd(self.stream, fields, maxlen=self._maxlen, approximate=True)
        except redis.RedisError as exc:
            raise PublishFailed(f"redis: {exc}") from exc

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
