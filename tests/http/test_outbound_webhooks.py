"""Outbound webhooks: the outbox relay POSTs crm.* events, HMAC-signed with the event id,
to the subscriptions that want them, and retries a failed delivery with back-off."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.adapters.webhooks.fanout import WebhookFanout
from crmcore.app.access.webhooks import add_subscription, list_subscriptions, remove_subscription
from crmcore.app.bootstrap import bootstrap, wire
from crmcore.app.context import App, Settings
from crmcore.app.events.outbox import relay_batch
from crmcore.app.sales.deals import create_deal
from crmcore.app.sales.leads import capture_lead
from crmcore.codec.signing import sign
from tests.conftest import T0


class Receiver:
    """Records deliveries; answers the statuses it is given, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.got: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.got.append((url, body, dict(headers)))
        return self.statuses.pop(0) if self.statuses else 200


def _app(receiver: Receiver, clock: FixedClock) -> tuple[App, MemoryPublisher]:
    db = MemoryDatabase()
    ids = SequentialIds(seed=11)

    def uow() -> MemoryEventUnitOfWork:
        return MemoryEventUnitOfWork(db, clock=clock, ids=ids)

    inner = MemoryPublisher()
    fanout = WebhookFanout(inner, uow=uow, clock=clock, send=receiver, monotonic=lambda: 0.0)
    app = wire(
        uow,
        settings=Settings(db_url="memory://"),
        clock=clock,
        ids=ids,
        publisher=fanout,
        single_writer=True,
    )
    return app, inner


def test_a_subscribed_event_is_posted_signed_with_its_id() -> None:
    receiver, clock = Receiver(), FixedClock(T0)
    app, inner = _app(receiver, clock)
    sub = add_subscription(
        app, url="https://hooks.example.com/deals", event_type="crm.deal.*"
    ).unwrap()
    add_subscription(app, url="https://hooks.example.com/x", event_type="crm.segment.*").unwrap()
    capture_lead(app, email="l@example.com", first_name="L").unwrap()
    create_deal(app, title="D", amount="10").unwrap()
    report = relay_batch(app).unwrap()
    assert report.sent == 2
    assert len(inner.published) == 2
    ((url, body, headers),) = receiver.got
    assert url == "https://hooks.example.com/deals"
    event = json.loads(body)
    assert event["type"] == "crm.deal.created"
    assert headers["X-Crm-Event-Id"] == event["id"]
    assert headers["X-Crm-Event-Type"] == "crm.deal.created"
    stamp = int(headers["X-Crm-Timestamp"])
    assert headers["X-Crm-Signature"] == sign(sub.secret, stamp, body)


def test_a_failed_delivery_is_retried_with_back_off_and_the_same_event_id() -> None:
    receiver, clock = Receiver(statuses=[500, 503]), FixedClock(T0)
    app, _ = _app(receiver, clock)
    add_subscription(app, url="https://hooks.example.com/all", event_type="crm.*").unwrap()
    create_deal(app, title="D", amount="10").unwrap()
    first = relay_batch(app).unwrap()
    assert (first.sent, first.failed) == (0, 1)
    assert relay_batch(app).unwrap().sent == 0  # backing off: nothing is due yet
    clock.advance(timedelta(seconds=1))
    assert relay_batch(app).unwrap().failed == 1
    clock.advance(timedelta(seconds=2))
    assert relay_batch(app).unwrap().sent == 1
    ids = {headers["X-Crm-Event-Id"] for _, _, headers in receiver.got}
    assert len(receiver.got) == 3
    assert len(ids) == 1  # the receiver can drop the repeats by id


def test_a_removed_subscription_gets_nothing() -> None:
    receiver, clock = Receiver(), FixedClock(T0)
    app, _ = _app(receiver, clock)
    sub = add_subscription(app, url="https://hooks.example.com/a", event_type="crm.*").unwrap()
    remove_subscription(app, sub.id).unwrap()
    create_deal(app, title="D", amount="10").unwrap()
    assert relay_batch(app).unwrap().sent == 1
    assert receiver.got == []
    assert [s.active for s in list_subscriptions(app).unwrap()] == [False]


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/x", "ftp://x/y", "https://user:pw@x.example/", "not a url"],
)
def test_unsafe_urls_are_refused(app: App, url: str) -> None:
    assert add_subscription(app, url=url, event_type="crm.*").failure()


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


def test_the_relay_of_a_bootstrapped_app_posts_over_http(
    loopback: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, got = loopback
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), webhooks=True)
    sub = add_subscription(app, url=url, event_type="crm.lead.created").unwrap()
    capture_lead(app, email="h@example.com", first_name="H").unwrap()
    assert relay_batch(app).unwrap().sent == 1
    ((headers, body),) = got
    assert json.loads(body)["payload"]["email"] == "h@example.com"
    assert headers["X-Crm-Signature"] == sign(sub.secret, int(headers["X-Crm-Timestamp"]), body)
