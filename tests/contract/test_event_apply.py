"""The batch worker on memory, SQLite and PostgreSQL applications: a batch applied
set-wise leaves exactly the state of applying its events one at a time, a contact
cached between batches is read again once someone else changed it, and a concurrent
change in the middle of a batch is detected and the batch redone."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine

from crmcore import App, Settings, bootstrap, capture_lead
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser
from crmcore.adapters.system import FixedClock, SequentialIds, SystemClock
from crmcore.app.events.apply import ContactCache
from crmcore.app.events.config import EventSettings
from crmcore.app.events.worker import _claim, _process_batch, ingest_events, process_inbox
from crmcore.app.logging import get_logger
from crmcore.app.sales.contacts import create_contact
from crmcore.domain.email import Email
from crmcore.domain.inbox import InboxRetryPolicy, InboxStatus
from crmcore.domain.names import PersonName
from crmcore.domain.sentiment import Sentiment
from crmcore.ports.event_processing import SentimentAnalyser
from tests.conftest import T0
from tests.databases import copy_sqlite, truncate_all
from tests.reactions import SNAPSHOTS, reaction_state

MakeApp = Callable[..., App]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_app(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> MakeApp:
    """Builds applications (workers) on one empty store of the backend."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = copy_sqlite(sqlite_template, tmp_path / "crm.db")
    else:
        engine: Engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
        url = engine.url.render_as_string(hide_password=False)

    shared: list[App] = []

    def build(*, sentiment: SentimentAnalyser | None = None, seed: int = 1) -> App:
        if url == "memory://" and shared:  # one memory store: the first app's
            base = shared[0]
            assert base.events is not None
            if sentiment is None:
                return base
            return attrs.evolve(base, events=attrs.evolve(base.events, sentiment=sentiment))
        app = bootstrap(
            Settings(db_url=url),
            clock=FixedClock(T0),
            ids=SequentialIds(seed=seed),
            publisher=MemoryPublisher(),
            sentiment=sentiment,
            pipeline_settings=EventSettings(
                retry=InboxRetryPolicy(max_attempts=50, base=timedelta(seconds=1))
            ),
            jitter=random.Random(1),
        )
        shared.append(app)
        return app

    return build


CUSTOMERS: list[dict[str, str]] = [
    {"user_id": "u1", "email": "ann@example.com"},
    {"email": "ann@example.com"},  # found by e-mail once u1 exists
    {"user_id": "u2"},
    {"user_id": "u2", "phone": "+79001230002"},  # enriches u2 with a phone
    {"phone": "+79001230002"},  # then found by that phone, in the same batch
    {"email": "lead@example.com"},
    {"email": "bob@example.com", "phone": "+79001230009"},
    {"email": "eve@example.com", "phone": "+79001230009"},  # phone of bob: ambiguous
    {"user_id": "u3", "email": "carl@example.com", "first_name": "Carl"},
]
KINDS = [
    "purchase",
    "email_opened",
    "email_clicked",
    "app_login",
    "review",
    "message",
    "form_answer",
    "billing",
    "billing",
]
TEXTS = ["great, thanks", "terrible and slow", "ok", "good but slow", "love it"]


def _events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.choice(KINDS)
        choices: dict[str, dict[str, Any]] = {
            "purchase": {"amount": f"{rng.randint(1, 90)}.50", "currency": "RUB"},
            "email_opened": {"campaign_id": "c1"},
            "email_clicked": {"campaign_id": "c1", "url": "https://example.com"},
            "app_login": {"device": "ios"},
            "review": {"text": rng.choice(TEXTS)},
            "message": {"text": rng.choice(TEXTS), "channel": "chat"},
            "form_answer": {"form_id": "nps", "answers": {"nps": rng.randint(0, 10)}},
            "billing": {
                "kind": rng.choice(["refund", "subscription_cancelled", "subscription_renewed"]),
                "amount": "5",
                "currency": "RUB",
            },
        }
        data = choices[kind]
        day = rng.randrange(0, 90)
        out.append(
            {
                "id": f"e{i}",
                "type": kind,
                "occurred_at": (T0 + timedelta(days=day, minutes=i)).isoformat(),
                "customer": rng.choice(CUSTOMERS),
                "data": data,
            }
        )
    return out


def projection(app: App) -> dict[str, Any]:
    """What the pipeline changed, without ids and timestamps, from any backend."""
    assert app.events is not None
    with app.events.uow() as uow:
        contacts = uow.contacts.list(include_archived=True)
        key = {
            c.id: (c.user_id, c.email.value if c.email else None, c.phone.e164 if c.phone else None)
            for c in contacts
        }
        facts = uow.facts.facts_of(list(key))
        return {
            "contacts": sorted(
                repr((*key[c.id], c.lifecycle.value, c.attributes, c.name.full)) for c in contacts
            ),
            "facts": sorted(
                (str(key[f.contact_id]), f.kind.value, f.event_id, f.name, repr(f.value))
                for fs in facts.values()
                for f in fs
            ),
            "transactions": sorted(
                (str(key[c]), tx.external_id, str(tx.amount.amount))
                for c in key
                for tx in uow.transactions.list_for(c)
            ),
            "leads": sorted(
                (str(le.email), le.engagement.email_opens, le.engagement.email_clicks)
                for le in uow.leads.list()
            ),
            "reviews": sorted((r.event_id, r.reason.value) for r in uow.review_queue.list()),
            "reactions": reaction_state(uow, key),
            "inbox": sorted((e.event_id, e.status.value) for e in uow.inbox.list(limit=10**6)),
            "activities": sorted(
                (str(key[a.contact_id]) if a.contact_id else "", a.subject, a.description)
                for a in uow.activities.list()
            ),
            "outbox": sorted(
                Counter(
                    e.type for e in uow.outbox.pending(limit=10**6) if e.type not in SNAPSHOTS
                ).items()
            ),
        }


def _one_at_a_time(events: list[dict[str, Any]]) -> dict[str, Any]:
    app = bootstrap(
        Settings(db_url="memory://"),
        clock=FixedClock(T0),
        ids=SequentialIds(seed=2),
        publisher=MemoryPublisher(),
        jitter=random.Random(1),
    )
    capture_lead(app, email="lead@example.com", first_name="Lea").unwrap()
    for raw in sorted(events, key=lambda r: (r["occurred_at"], r["id"])):
        ingest_events(app, [raw]).unwrap()
        process_inbox(app, batch=1).unwrap()
    return projection(app)


def test_a_batch_leaves_the_state_of_applying_its_events_one_at_a_time(
    make_app: MakeApp,
) -> None:
    events = _events(80)
    app = make_app()
    capture_lead(app, email="lead@example.com", first_name="Lea").unwrap()
    ingest_events(app, events).unwrap()
    report = process_inbox(app, batch=1000).unwrap()
    assert report.claimed == 80
    assert report.done + report.review == 80
    assert report.review > 0  # ambiguous phones, low confidence, refunds without purchase
    state = projection(app)
    assert state == _one_at_a_time(events)
    # replaying every event changes nothing
    assert ingest_events(app, events).unwrap().accepted == 0
    assert process_inbox(app).unwrap().claimed == 0
    assert projection(app) == state


def _process(app: App, cache: ContactCache, *, limit: int = 100) -> Any:
    assert app.events is not None
    claimed = _claim(app, app.events, worker="w", limit=limit)
    return _process_batch(app, app.events, claimed, cache=cache)


def _purchase(event_id: str, day: int, customer: dict[str, str]) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "purchase",
        "occurred_at": (T0 + timedelta(days=day)).isoformat(),
        "customer": customer,
        "data": {"amount": "10", "currency": "RUB"},
    }


def test_a_contact_changed_between_batches_is_read_again(make_app: MakeApp) -> None:
    app = make_app()
    other = make_app(seed=9)  # another worker, on the same store
    ann = {"user_id": "u1", "email": "ann@example.com"}
    cache = ContactCache()
    ingest_events(app, [_purchase("p1", 0, ann), _purchase("x", 0, {"user_id": "u9"})])
    assert _process(app, cache).done == 2
    assert len(cache) == 2
    # someone renames Ann, and another worker records a second purchase for her
    assert app.events is not None
    with app.events.uow() as uow:
        stored = next(iter(uow.contacts.find_many(user_ids=["u1"])), None)
        assert stored is not None
        uow.contacts.save(attrs.evolve(stored, name=PersonName("Anna", "Lee")))
        uow.commit()
    ingest_events(other, [_purchase("p2", 10, ann)])
    assert process_inbox(other).unwrap().done == 1
    # a third purchase through the cached worker: all three count, the name stays
    ingest_events(app, [_purchase("p3", 20, ann)])
    assert _process(app, cache).done == 1
    with app.events.uow() as uow:
        ann_now = next(iter(uow.contacts.find_many(emails=[Email("ann@example.com")])), None)
        assert ann_now is not None
        assert ann_now.name.full == "Anna Lee"
        assert ann_now.attributes["status"] == "hot"  # three purchases within 30 days
        assert len(uow.facts.facts_for(ann_now.id).purchases) == 3
        offers = [a for a in uow.activities.list(contact_id=ann_now.id) if "offer" in a.subject]
        assert len(offers) == 1


class MeddlingSentiment:
    """Answers like the lexicon, but the first time it is asked another worker renames
    the customer: a change committed while the batch is being applied."""

    def __init__(self) -> None:
        self.inner = LexiconSentimentAnalyser()
        self.app: App | None = None
        self.meddled = False

    def analyse(self, text: str) -> Sentiment:
        if not self.meddled and self.app is not None and self.app.events is not None:
            self.meddled = True
            with self.app.events.uow() as uow:
                stored = next(iter(uow.contacts.find_many(user_ids=["u1"])), None)
                assert stored is not None
                uow.contacts.save(attrs.evolve(stored, name=PersonName("Meddled", "")))
                uow.commit()
        return self.inner.analyse(text)


def test_a_concurrent_change_mid_batch_is_detected_and_the_batch_redone(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    meddling = MeddlingSentiment()
    app = make_app(sentiment=meddling)
    ann = {"user_id": "u1"}
    ingest_events(app, [_purchase("p1", 0, ann)])
    process_inbox(app).unwrap()
    meddling.app = make_app(seed=5)
    review = {
        "id": "r1",
        "type": "review",
        "occurred_at": (T0 + timedelta(days=1)).isoformat(),
        "customer": ann,
        "data": {"text": "terrible and slow"},
    }
    ingest_events(app, [_purchase("p2", 1, ann), review])
    with caplog.at_level(logging.INFO, logger=get_logger().name):
        report = process_inbox(app).unwrap()
    assert meddling.meddled
    steps = {getattr(r, "step", None) for r in caplog.records}
    # one writer at a time: taken again; several: the claimed batch split
    assert steps & {"batch-taken-by-another", "batch-fallback"}
    assert report.done == 2
    assert app.events is not None
    with app.events.uow() as uow:
        contact = next(iter(uow.contacts.find_many(user_ids=["u1"])), None)
        assert contact is not None
        assert contact.name.full == "Meddled"  # the other worker's change is not lost
        assert contact.attributes["status"] == "leaving"  # and the batch's is there
        facts = uow.facts.facts_for(contact.id)
        assert len(facts.purchases) == 2
        assert len(facts.sentiments) == 1


class CreatingSentiment:
    """Answers like the lexicon, but the first time it is asked another worker creates
    the contact ``new@example.com``: committed after the batch matched nobody for it."""

    def __init__(self) -> None:
        self.inner = LexiconSentimentAnalyser()
        self.app: App | None = None
        self.created = False

    def analyse(self, text: str) -> Sentiment:
        if not self.created and self.app is not None:
            self.created = True
            create_contact(self.app, email="new@example.com", first_name="Other").unwrap()
        return self.inner.analyse(text)


def test_a_contact_another_worker_created_meanwhile_is_matched_not_duplicated(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    creating = CreatingSentiment()
    app = make_app(sentiment=creating)
    creating.app = make_app(seed=5)
    new, other = {"email": "new@example.com"}, {"email": "other@example.com"}
    events = [_purchase(f"p{i}", i, new if i == 2 else other) for i in range(4)]
    events.append(
        {
            "id": "r1",
            "type": "review",
            "occurred_at": (T0 + timedelta(days=5)).isoformat(),
            "customer": other,
            "data": {"text": "great, thanks"},
        }
    )
    ingest_events(app, events)
    with caplog.at_level(logging.INFO, logger=get_logger().name):
        report = process_inbox(app).unwrap()
    assert creating.created
    assert (report.done, report.retried, report.skipped) == (5, 0, 0)
    assert app.events is not None
    with app.events.uow() as uow:
        contacts = [c for c in uow.contacts.list() if c.email == Email("new@example.com")]
        assert [c.name.first for c in contacts] == ["Other"]  # matched, not created twice
        assert len(uow.facts.facts_for(contacts[0].id).purchases) == 1


class HeartbeatWatchingSentiment:
    """Answers like the lexicon, but the first time it is asked it waits (for at most a
    minute) until its worker's heartbeat has renewed the batch's lease past the claim's
    own, then lets another worker, whose clock is just past that first lease, try to
    claim."""

    def __init__(self) -> None:
        self.inner = LexiconSentimentAnalyser()
        self.app: App | None = None
        self.other: App | None = None
        self.claimed_by_other: int | None = None

    def analyse(self, text: str) -> Sentiment:
        if self.claimed_by_other is None and self.app is not None and self.other is not None:
            assert self.app.events is not None
            first = None
            for _ in range(600):
                with self.app.events.uow() as uow:
                    [entry] = uow.inbox.list(status=InboxStatus.PROCESSING, limit=1)
                assert entry.lease_until is not None
                first = first or entry.lease_until
                if entry.lease_until > first:
                    break
                time.sleep(0.1)
            assert first is not None
            other = attrs.evolve(self.other, clock=FixedClock(first + timedelta(milliseconds=1)))
            self.claimed_by_other = process_inbox(other).unwrap().claimed
        return self.inner.analyse(text)


def test_a_live_worker_renews_its_lease_so_nobody_takes_its_batch(make_app: MakeApp) -> None:
    app = make_app()
    if app.events is None or app.events.single_writer:
        pytest.skip("leases are renewed where several workers claim (PostgreSQL)")
    watching = HeartbeatWatchingSentiment()
    lease = timedelta(milliseconds=300)
    settings = EventSettings(retry=InboxRetryPolicy(max_attempts=50, lease=lease))
    worker = attrs.evolve(
        app,
        clock=SystemClock(),
        events=attrs.evolve(app.events, sentiment=watching, settings=settings),
    )
    other = make_app(seed=5)
    assert other.events is not None
    watching.app = worker
    watching.other = attrs.evolve(other, events=attrs.evolve(other.events, settings=settings))
    ann = {"email": "ann@example.com"}
    review = {
        "id": "r1",
        "type": "review",
        "occurred_at": (T0 + timedelta(days=1)).isoformat(),
        "customer": ann,
        "data": {"text": "great, thanks"},
    }
    ingest_events(worker, [_purchase("p1", 0, ann), review])
    report = process_inbox(worker).unwrap()
    assert watching.claimed_by_other == 0  # the renewed lease still held both events
    assert (report.claimed, report.done, report.skipped) == (2, 2, 0)
