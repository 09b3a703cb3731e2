"""Token buckets and the verified-key cache in Redis, so that ``crm serve --workers N``
enforces one limit per key, not N, and a key verified by one worker is trusted by all.

A bucket is a hash (``tokens``, ``at``) updated by one Lua script, atomically, with the
server's clock (``TIME``), so the workers need no common clock. It expires once it would
be full again. A cached key is a JSON string with a time to live.

When Redis cannot be reached, a request is let through (the limit fails open: an outage
of the limit store must not take the API down) and the key is read from the database.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

import redis

from crmcore.domain.access import ApiKey, Scope

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * rate) end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif rate > 0 then
  wait = (1 - tokens) / rate
else
  wait = 3600
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local life = 3600000
if rate > 0 then life = math.ceil(burst / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], life)
return tostring(wait)
"""


def client(url: str) -> Any:
    """A Redis client of ``url`` (short timeouts: a limit check must not hang a request)."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class RedisRateBuckets:
    """``rate`` requests a second per key with bursts of ``burst``, in Redis."""

    def __init__(self, conn: Any, *, prefix: str, rate: float, burst: int) -> None:
        self._conn = conn
        self._prefix = prefix
        self.rate = rate
        self.burst = max(1, burst)
        self._script = conn.register_script(_TAKE)

    def take(self, key: str) -> float:
        """See :meth:`crmcore.ports.access.RateBuckets.take`."""
        try:
            raw = self._script(keys=[f"{self._prefix}{key}"], args=[self.rate, self.burst])
        except redis.RedisError:
            return 0.0
        return float(raw.decode() if isinstance(raw, bytes) else raw)


def _key_json(key: ApiKey) -> str:
    return json.dumps(
        {
            "id": str(key.id),
            "name": key.name,
            "scope": key.scope.value,
            "prefix": key.prefix,
            "key_hash": key.key_hash,
            "created_at": key.created_at.isoformat(),
            "version": key.version,
        }
    )


def _key_from(raw: bytes) -> ApiKey:
    data = json.loads(raw)
    return ApiKey(
        id=UUID(data["id"]),
        name=data["name"],
        scope=Scope(data["scope"]),
        prefix=data["prefix"],
        key_hash=data["key_hash"],
        created_at=datetime.fromisoformat(data["created_at"]),
        version=int(data["version"]),
    )


class RedisVerifiedKeys:
    """Active keys verified in the last ``ttl`` seconds, by token hash, in Redis."""

    def __init__(self, conn: Any, *, prefix: str, ttl: float) -> None:
        self._conn = conn
        self._prefix = prefix
        self._ttl_ms = max(1, int(ttl * 1000))

    def get(self, digest: str) -> ApiKey | None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.get`."""
        try:
            raw = self._conn.get(f"{self._prefix}{digest}")
        except redis.RedisError:
            return None
        return None if raw is None else _key_from(raw)

    def put(self, digest: str, key: ApiKey) -> None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.put`."""
        if key.active:
            with contextlib.suppress(redis.RedisError):
                self._conn.set(f"{self._prefix}{digest}", _key_json(key), px=self._ttl_ms)

    def forget(self, digest: str) -> None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.forget`."""
        with contextlib.suppress(redis.RedisError):
            self._conn.delete(f"{self._prefix}{digest}")
