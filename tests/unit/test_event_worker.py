"""Pipeline use cases on memory adapters: accept, process, idempotency, faults, review."""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from datetime import timedelta
from typing import Any, cast

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Success

from crmcore import App, Settings, bootstrap, capture_lead
from crmcore.adapters.memory.event_processing import MemoryFactSink
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.cli.main import CliState
from crmcore.app.cli.main import cli as cli_main
from crmcore.app.events.config import EventSettings
from crmcore.app.events.worker import (
    _claim,
    _process_one,
    discard_failed,
    ingest_events,
    list_failed,
    list_reviews,
    pipeline_status,
    process_inbox,
    resolve_review,
    retry_failed,
    revive_dead,
    show_review,
)
from crmcore.app.logging import JsonFormatter, get_logger
from crmcore.domain.inbox import InboxRetryPolicy
from crmcore.domain.review import ReviewReason
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.ports.event_processing import DownstreamUnavailable
from tests.conftest import T0
from tests.reactions import SNAPSHOTS, reaction_state
from tests.strategies import raw_interactions


class FlakySentiment:
    """Fails at random (seeded), otherwise answers like the lexicon model."""

    def __init__(self, seed: int, rate: float) -> None:
        from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser

        self._rng = random.Random(seed)
        self._rate = rate
        self._inner = LexiconSentimentAnalyser()
        self.failures = 0

    def analyse(self, text: str) -> Sentiment:
        if self._rng.random() < self._rate:
            self.failures += 1
            raise DownstreamUnavailable("sentiment service down")
        return self._inner.analyse(text)


class DeadSentiment:
    def analyse(self, text: str) -> Sentiment:
        raise DownstreamUnavailable("sentiment service down")


def make_app(**kw: Any) -> App:
    return bootstrap(
        Settings(db_url="memory://"),
        clock=FixedClock(T0),
        ids=SequentialIds(),
        publisher=MemoryPublisher(),
        pipeline_settings=kw.pop(
            "pipeline_settings",
            EventSettings(retry=InboxRetryPolicy(max_attempts=50, base=timedelta(seconds=1))),
        ),
        jitter=random.Random(1),
        **kw,
    )


def drain(app: App, *, rounds: int = 200) -> None:
    """Work the inbox until nothing is pending, moving the clock past every backoff."""
    clock = cast(FixedClock, app.clock)
    for _ in range(rounds):
        process_inbox(app, batch=7)
        status = pipeline_status(app).unwrap()
        if status.inbox["pending"] == 0 and status.inbox["processing"] == 0:
            return
        clock.advance(timedelta(hours=2))
    raise AssertionError("inbox did not drain")


def projection(app: App, *, actions: bool = True) -> dict[str, Any]:
    """Everything the pipeline changed, without ids and timestamps."""
    assert app.events is not None
    with app.events.uow() as uow:
        contacts = uow.contacts.list(include_archived=True)
        key = {
            c.id: (c.user_id, c.email.value if c.email else None, c.phone.e164 if c.phone else None)
            for c in contacts
        }
        facts = cast(MemoryFactSink, uow.facts).rows()
        out: dict[str, Any] = {
            "contacts": sorted(
                repr((*key[c.id], c.lifecycle.value, c.attributes.get("status"), c.name.full))
                for c in contacts
            ),
            "facts": sorted(
                (str(key[f.contact_id]), f.kind, f.event_id, f.name, repr(f.value)) for f in facts
            ),
            "leads": sorted(
                (str(le.email), le.engagement.email_opens, le.engagement.email_clicks)
                for le in uow.leads.list()
            ),
            "reviews": sorted((r.event_id, r.reason.value) for r in uow.review_queue.list()),
            "reactions": reaction_state(uow, key),
            "inbox": sorted((e.event_id, e.status.value) for e in uow.inbox.list(limit=10**6)),
        }
        if actions:
            out["activities"] = sorted(
                (str(key[a.contact_id]) if a.contact_id else "", a.subject, a.description)
                for a in uow.activities.list()
            )
            out["outbox"] = sorted(
                Counter(
                    e.type for e in uow.outbox.pending(limit=10**6) if e.type not in SNAPSHOTS
                ).items()
            )
    return out


def assert_same_effects(state: dict[str, Any], reference: dict[str, Any]) -> None:
    """Equal state, and the same actions, though which event triggered each may differ."""
    assert {k: v for k, v in state.items() if k != "activities"} == {
        k: v for k, v in reference.items() if k != "activities"
    }
    assert Counter((c, s) for c, s, _ in state["activities"]) == Counter(
        (c, s) for c, s, _ in reference["activities"]
    )


def _distinct(raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for n, raw in enumerate(raws):
        raw["id"] = f"evt-{n}"
    return raws


def _reference(events: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    app = make_app(**kw)
    for raw in sorted(events, key=lambda r: (_utc(r["occurred_at"]), r["id"])):
        ingest_events(app, [raw])
        drain(app)
    return projection(app)


def _utc(stamp: str) -> Any:
    from datetime import UTC, datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


@settings(max_examples=25)
@given(
    st.lists(raw_interactions(), min_size=1, max_size=12).map(_distinct),
    st.randoms(use_true_random=False),
)
def test_duplicates_and_reordering_change_nothing(
    events: list[dict[str, Any]], rnd: random.Random
) -> None:
    delivered = events + [rnd.choice(events) for _ in range(rnd.randint(0, len(events)))]
    rnd.shuffle(delivered)
    app = make_app()
    cut = sorted(rnd.sample(range(len(delivered) + 1), k=min(3, len(delivered) + 1)))
    for start, stop in zip([0, *cut], [*cut, len(delivered)], strict=True):
        ingest_events(app, delivered[start:stop])
    drain(app)
    # a replayed batch after processing changes nothing either
    report = ingest_events(app, delivered).unwrap()
    assert report.accepted == 0
    drain(app)
    assert projection(app) == _reference(events)


@settings(max_examples=20)
@given(
    st.lists(raw_interactions(complete=True), min_size=1, max_size=12).map(_distinct),
    st.randoms(use_true_random=False),
)
def test_interleaved_processing_reaches_the_same_state(
    events: list[dict[str, Any]], rnd: random.Random
) -> None:
    """With customers identified by every key, processing order does not matter."""
    delivered = events + [rnd.choice(events) for _ in range(rnd.randint(0, len(events)))]
    rnd.shuffle(delivered)
    app = make_app()
    for raw in delivered:
        ingest_events(app, [raw])
        if rnd.random() < 0.5:
            drain(app)
    drain(app)
    assert projection(app, actions=False) == {
        k: v for k, v in _reference(events).items() if k not in ("activities", "outbox")
    }


@settings(max_examples=10)
@given(
    st.lists(
        raw_interactions(kinds=("review", "message", "purchase"), complete=True),
        min_size=1,
        max_size=10,
    ).map(_distinct),
    st.integers(0, 1000),
)
def test_a_randomly_failing_sentiment_service_loses_nothing(
    events: list[dict[str, Any]], seed: int
) -> None:
    flaky = FlakySentiment(seed, rate=0.4)
    app = make_app(sentiment=flaky)
    ingest_events(app, events)
    drain(app)
    # retries reorder processing, so compare what does not depend on the order, and check
    # that no event produced the same action twice
    state = projection(app)
    assert {k: v for k, v in state.items() if k not in ("activities", "outbox")} == {
        k: v for k, v in _reference(events).items() if k not in ("activities", "outbox")
    }
    assert len(set(state["activities"])) == len(state["activities"])


def test_a_worker_that_dies_mid_batch_is_taken_over_exactly_once() -> None:
    events = [
        {
            "id": f"e{n}",
            "type": "purchase",
            "occurred_at": f"2026-01-0{1 + n % 5}T10:00:00Z",
            "customer": {"user_id": f"u{n % 3}"},
            "data": {"amount": "10", "currency": "USD"},
        }
        for n in range(10)
    ]
    app = make_app()
    assert app.events is not None
    ingest_events(app, events)
    # the first worker claims a batch, applies two events and dies
    claimed = _claim(app, app.events, worker="doomed", limit=6)
    for entry in claimed[:2]:
        _process_one(app, app.events, entry)
    # the dead worker's live lease holds all three customers: their later events wait,
    # so that no customer's events are applied out of order
    assert process_inbox(app, worker="second").unwrap().done == 0
    # once the lease has expired, a second worker takes the rest of the batch and them
    cast(FixedClock, app.clock).advance(app.events.settings.retry.lease)
    assert process_inbox(app, worker="second").unwrap().done == 8
    # the zombie wakes up and tries to finish its batch: nothing happens twice
    late = [_process_one(app, app.events, entry) for entry in claimed[2:]]
    assert sum(r.skipped for r in late) == 4
    # the takeover changed the processing order
    assert_same_effects(projection(app), _reference(events))


def test_failing_downstream_backs_off_then_dead_letters() -> None:
    policy = InboxRetryPolicy(max_attempts=3, base=timedelta(seconds=10))
    app = make_app(sentiment=DeadSentiment(), pipeline_settings=EventSettings(retry=policy))
    raw = {
        "id": "r1",
        "type": "review",
        "occurred_at": "2026-01-05T10:00:00Z",
        "customer": {"email": "a@example.com"},
        "data": {"text": "great"},
    }
    ingest_events(app, [raw])
    assert process_inbox(app).unwrap().retried == 1
    status = pipeline_status(app).unwrap()
    assert status.inbox["pending"] == 1
    assert process_inbox(app).unwrap().claimed == 0  # not due yet
    clock = cast(FixedClock, app.clock)
    clock.advance(timedelta(minutes=1))
    assert process_inbox(app).unwrap().retried == 1
    clock.advance(timedelta(minutes=1))
    assert process_inbox(app).unwrap().dead == 1
    status = pipeline_status(app).unwrap()
    assert [e.event_id for e in status.dead] == ["r1"]
    assert status.dead[0].attempts == 3
    assert "sentiment service down" in (status.dead[0].last_error or "")
    revived = revive_dead(app, "r1").unwrap()
    assert revived.attempts == 0


def test_invalid_lines_are_kept_listed_retried_and_discarded() -> None:
    app = make_app()
    good = (
        '{"id":"g1","type":"app_login","occurred_at":"2026-01-05T10:00:00Z",'
        '"customer":{"user_id":"u1"}}'
    )
    bad_phone = (
        '{"id":"b1","type":"app_login","occurred_at":"2026-01-05T10:00:00Z",'
        '"customer":{"phone":"12"}}'
    )
    report = ingest_events(app, [good, bad_phone, "{oops", b"\xc3\x28"]).unwrap()
    assert report.accepted == 1
    assert [r.line for r in report.rejected] == [2, 3, 4]
    assert report.rejected[0].errors[0].field == "$.customer.phone"
    failed = list_failed(app).unwrap()
    assert len(failed) == 3
    first = failed[0]
    still = retry_failed(app, first.id).unwrap()
    assert not still.accepted
    assert still.errors[0].field == "$.customer.phone"
    fixed = bad_phone.replace('"12"', '"+79001234567"')
    assert retry_failed(app, first.id, fixed=fixed).unwrap().accepted
    assert discard_failed(app, failed[1].id).unwrap().status.value == "discarded"
    assert len(list_failed(app).unwrap()) == 1
    drain(app)
    assert pipeline_status(app).unwrap().inbox["done"] == 2


def _feedback(event_id: str, text: str, customer: dict[str, str]) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "message",
        "occurred_at": "2026-01-05T10:00:00+03:00",
        "customer": customer,
        "data": {"text": text, "channel": "telegram"},
    }


def test_low_confidence_goes_to_review_and_the_label_is_applied() -> None:
    app = make_app()
    ingest_events(app, [_feedback("m1", "good but slow", {"email": "a@example.com"})])
    assert process_inbox(app).unwrap().review == 1
    [item] = list_reviews(app, reason=ReviewReason.LOW_CONFIDENCE).unwrap()
    view = show_review(app, item.id).unwrap()
    assert view.event is not None
    assert view.event["id"] == "m1"
    outcome = resolve_review(app, item.id, label=SentimentLabel.NEGATIVE, by="ops").unwrap()
    assert outcome.applied
    state = projection(app)
    assert ("inbox", [("m1", "done")]) in state.items()
    assert any(
        s == "Negative message: contact the customer" for _, s, _ in state["activities"]
    ) or any("Call the customer" in s for _, s, _ in state["activities"])
    assert list_reviews(app).unwrap() == []
    again = resolve_review(app, item.id, label=SentimentLabel.POSITIVE)
    assert not isinstance(again, Success)


def test_an_ambiguous_match_waits_for_a_person() -> None:
    app = make_app()
    ingest_events(
        app,
        [
            _feedback("a", "thank you", {"email": "one@example.com"}),
            _feedback("b", "thank you", {"phone": "+79001234567"}),
        ],
    )
    drain(app)
    ingest_events(
        app, [_feedback("c", "thank you", {"email": "one@example.com", "phone": "+79001234567"})]
    )
    drain(app)
    [item] = list_reviews(app, reason=ReviewReason.AMBIGUOUS_MATCH).unwrap()
    assert len(item.candidates) == 2
    shown = show_review(app, item.id).unwrap().candidates
    assert [c.id for c in shown] == list(item.candidates)
    assert {(c.email, c.phone) for c in shown} == {
        (None, "+79001234567"),
        ("one@example.com", None),
    }
    cli = CliRunner().invoke(cli_main, ["review", "show", str(item.id)], obj=CliState(app=app))
    assert cli.output.count("candidate") == 2
    assert "one@example.com" in cli.output
    assert f"--match {item.candidates[0]}" in cli.output
    assert not isinstance(resolve_review(app, item.id, label=SentimentLabel.POSITIVE), Success)
    outcome = resolve_review(app, item.id, contact_id=item.candidates[1]).unwrap()
    assert outcome.applied
    assert ("c", "done") in projection(app)["inbox"]


def test_a_refund_without_purchase_breaks_a_business_rule() -> None:
    app = make_app()
    ingest_events(
        app,
        [
            {
                "id": "x",
                "type": "billing",
                "occurred_at": "2026-01-05T10:00:00Z",
                "customer": {"user_id": "nobody"},
                "data": {"kind": "refund", "amount": "5", "currency": "USD"},
            }
        ],
    )
    drain(app)
    [item] = list_reviews(app, reason=ReviewReason.BUSINESS_RULE).unwrap()
    assert resolve_review(app, item.id, discard=True).unwrap().item.status.value == "discarded"
    assert ("x", "discarded") in projection(app)["inbox"]
    assert projection(app)["contacts"] == []


def test_email_engagement_counts_on_the_lead_and_emits_events() -> None:
    app = make_app()
    capture_lead(app, email="lead@example.com", first_name="Lea").unwrap()
    ingest_events(
        app,
        [
            {
                "id": f"o{n}",
                "type": kind,
                "occurred_at": "2026-01-05T10:00:00Z",
                "customer": {"email": "lead@example.com"},
                "data": {"campaign_id": "c1", **({"url": "https://x.io"} if n else {})},
            }
            for n, kind in enumerate(["email_opened", "email_clicked"])
        ],
    )
    drain(app)
    state = projection(app)
    assert state["leads"] == [("lead@example.com", 1, 1)]
    assert ("crm.email.opened", 1) in state["outbox"]
    assert ("crm.email.clicked", 1) in state["outbox"]


def test_a_hot_customer_gets_one_offer() -> None:
    app = make_app()
    purchases = [
        {
            "id": f"p{n}",
            "type": "purchase",
            "occurred_at": f"2026-0{n}-05T10:00:00Z",
            "customer": {"user_id": "u1"},
            "data": {"amount": "10", "currency": "USD"},
        }
        for n in (1, 3)
    ]
    ingest_events(app, purchases)
    drain(app)
    ingest_events(app, purchases)
    drain(app)
    subjects = [s for _, s, _ in projection(app)["activities"]]
    assert subjects.count("Personal offer queued") == 1
    assert subjects.count("Welcome path started") == 1


def test_every_step_is_logged_with_the_event_id(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    with caplog.at_level(logging.INFO, logger=get_logger().name):
        ingest_events(app, [_feedback("m9", "thanks, great", {"email": "a@example.com"})])
        drain(app)
    steps = [(getattr(r, "step", None), getattr(r, "event_id", None)) for r in caplog.records]
    assert ("claimed", "m9") in steps
    assert ("applied", "m9") in steps
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert {"ts", "level", "message", "step", "event_id"} <= set(line)


def test_a_rejected_mapping_is_kept_as_its_json_text() -> None:
    app = make_app()
    bad = {"id": "b1", "type": "app_login", "occurred_at": "2026-01-05T10:00:00Z"}
    loop: dict[str, Any] = {"id": "b2"}
    loop["self"] = loop
    report = ingest_events(app, [bad, loop]).unwrap()
    assert [r.errors[0].field for r in report.rejected] == ["$.customer", "$"]
    assert "Circular" in report.rejected[1].errors[0].reason
    failed = list_failed(app).unwrap()
    assert json.loads(failed[0].raw) == bad


class PoisonSentiment:
    """Answers like the lexicon model, but a text with "poison" in it always fails."""

    def __init__(self) -> None:
        from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser

        self._inner = LexiconSentimentAnalyser()

    def analyse(self, text: str) -> Sentiment:
        if "poison" in text:
            raise DownstreamUnavailable("sentiment service down for this one")
        return self._inner.analyse(text)


def test_a_failed_batch_is_split_in_halves_down_to_the_bad_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(sentiment=PoisonSentiment())
    raws = [
        _feedback(f"m{i:02}", "poison" if i == 11 else "thanks, great", {"email": f"{i}@x.org"})
        for i in range(16)
    ]
    ingest_events(app, raws)
    with caplog.at_level(logging.INFO, logger=get_logger().name):
        report = process_inbox(app, batch=16, once=True).unwrap()
    sizes = [
        getattr(r, "size", None)
        for r in caplog.records
        if getattr(r, "step", "") == "batch-fallback"
    ]
    # the one-transaction attempt, then 16 → 8 → 4 → 2 on the bad event's side: log2(16)
    # failed batches, not 16 single-event transactions
    assert sizes == [16, 16, 8, 4, 2]
    assert (report.done, report.retried) == (15, 1)
    retried = [
        getattr(r, "event_id", None)
        for r in caplog.records
        if getattr(r, "step", "") == "retry-scheduled"
    ]
    assert retried == ["m11"]
