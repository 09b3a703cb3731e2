"""Request limits: a token bucket per caller, and a cap on request bodies.

These are the in-process adapters of the ``RateBuckets`` and ``VerifiedKeys`` ports.
With ``crm serve --workers N`` and no shared store, each worker gets 1/N of every rate
and burst (see :func:`worker_share`), so the total across workers still holds; with
``CRMCORE_HTTP_SHARED_STORE=redis://...`` the buckets and the key cache live in Redis
(``crmcore.adapters.limits``) and hold exactly (ADR 0022).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmcore.domain.access import ApiKey

#: Buckets kept at most; the least recently used go first (per-IP buckets of bots).
MAX_BUCKETS = 100_000


class RateLimiter:
    """``rate`` requests per second on average with bursts of ``burst``, per key."""

    def __init__(
        self, *, rate: float, burst: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._now = now
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> float:
        """Spend one token of ``key``: 0 when allowed, else the seconds until one is there."""
        now = self._now()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate if self.rate > 0 else 3600.0
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


def worker_share(rate: float, burst: int, workers: int) -> tuple[float, int]:
    """One worker's part of a limit that ``workers`` processes enforce without sharing:
    the rate and the burst divided (rounding down, at least one request), so all of them
    together never allow more than the limit (unless it is below one per worker)."""
    n = max(1, workers)
    return rate / n, max(1, burst // n)


class LocalVerifiedKeys:
    """Verified keys kept ``ttl`` seconds in this process (at most ``cap`` of them)."""

    def __init__(self, *, ttl: float, now: Callable[[], float], cap: int = 10_000) -> None:
        self.ttl = ttl
        self._now = now
        self._cap = cap
        self._keys: dict[str, tuple[float, ApiKey]] = {}

    def get(self, digest: str) -> ApiKey | None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.get`."""
        held = self._keys.get(digest)
        if held is None or self._now() - held[0] >= self.ttl:
            return None
        return held[1]

    def put(self, digest: str, key: ApiKey) -> None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.put`."""
        if self.ttl <= 0 or not key.active:
            return
        if len(self._keys) >= self._cap:
            self._keys.clear()
        self._keys[digest] = (self._now(), key)

    def forget(self, digest: str) -> None:
        """See :meth:`crmcore.ports.access.VerifiedKeys.forget`."""
        self._keys.pop(digest, None)


def retry_after(wait: float) -> str:
    """The ``Retry-After`` value for a wait in seconds (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait)))


class BodyLimit:
    """ASGI middleware: a body longer than ``limit`` bytes is answered with 413.

    A declared ``Content-Length`` over the limit is refused before anything is read;
    a chunked body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    await _refuse(send, self.limit)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"the body is larger than {self.limit} bytes")
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, limit: int) -> None:
    from crmcore.app.http.problems import problem_response

    response = problem_response(413, f"the body is larger than {limit} bytes")
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})
