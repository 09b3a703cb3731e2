"""A publisher that also POSTs each event to the webhook subscriptions that want it.

The outbox relay calls :meth:`WebhookFanout.publish` for every event in order. The event
goes to the wrapped publisher first, then to each active subscription whose event type
matches, as the envelope's JSON with ``X-Crm-Event-Id`` (for the receiver's dedupe),
``X-Crm-Event-Type``, ``X-Crm-Timestamp`` and ``X-Crm-Signature`` (HMAC-SHA256 with the
subscription's secret, see ``crmcore.codec.signing``). Any failed delivery raises, so the
relay retries the event with its back-off and dead-letters it in the end: delivery is at
least once, and a receiver that saw the event id already drops the repeat.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence

from crmcore.codec.events import envelope_json
from crmcore.codec.signing import sign
from crmcore.domain.access import WebhookSubscription
from crmcore.domain.events import DomainEvent, Envelope
from crmcore.ports.events import EventPublisher
from crmcore.ports.system import Clock
from crmcore.ports.uow import UnitOfWork

#: ``send(url, body, headers) -> HTTP status``; raises on a transport failure.
Sender = Callable[[str, bytes, Mapping[str, str]], int]

#: Seconds a subscription list is reused before it is read again.
CACHE_SECONDS = 5.0


class WebhookDeliveryFailed(RuntimeError):
    """At least one subscription did not take the event (the relay retries it)."""


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float = 10.0) -> int:
    """POST ``body`` to ``url``; the HTTP status (redirects are not followed)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


class WebhookFanout:
    """An :class:`EventPublisher` over ``inner`` that also delivers to subscriptions."""

    def __init__(
        self,
        inner: EventPublisher,
        *,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        send: Sender = post,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._uow = uow
        self._clock = clock
        self._send = send
        self._now = monotonic
        self._cached: tuple[float, Sequence[WebhookSubscription]] | None = None

    def _subscriptions(self) -> Sequence[WebhookSubscription]:
        now = self._now()
        if self._cached is not None and now - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        with self._uow() as uow:
            found = [s for s in uow.webhooks.list() if s.active]
        self._cached = (now, found)
        return found

    def publish(self, envelope: Envelope[DomainEvent]) -> None:
        """Publish to the inner publisher, then POST to every matching subscription."""
        self.inner.publish(envelope)
        wanted = [s for s in self._subscriptions() if s.wants(envelope.type)]
        if not wanted:
            return
        body = envelope_json(envelope).encode("utf-8")
        stamp = int(self._clock.now().timestamp())
        failures = []
        for sub in wanted:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "crmcore-webhooks",
                "X-Crm-Event-Id": str(envelope.id),
                "X-Crm-Event-Type": envelope.type,
                "X-Crm-Timestamp": str(stamp),
                "X-Crm-Signature": sign(sub.secret, stamp, body),
            }
            try:
                status = self._send(sub.url, body, headers)
            except OSError as exc:
                failures.append(f"{sub.url}: {type(exc).__name__}")
                continue
            if not 200 <= status < 300:
                failures.append(f"{sub.url}: HTTP {status}")
        if failures:
            raise WebhookDeliveryFailed("; ".join(failures))
