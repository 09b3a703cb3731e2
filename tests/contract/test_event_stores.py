"""One contract for the pipeline stores (failed events, review queue, facts, bulk inbox
moves) on memory, SQLite and PostgreSQL, through the pipeline unit of work."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import attrs
import pytest

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.event_processing import SqlEventUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.errors import FieldError
from crmcore.domain.facts import Fact, FactKind, fold_facts
from crmcore.domain.health_signals import health_facts, inputs_from_facts
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import FailedEvent, FailedStatus, InboxEntry, InboxStatus
from crmcore.domain.interactions import BillingKind
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.review import Resolution, ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.ports.errors import ConcurrentModification
from crmcore.ports.event_processing import EventUnitOfWork
from tests.conftest import T0
from tests.databases import copy_sqlite, truncate_all

Uow = Callable[[], EventUnitOfWork]
ANN = ContactId(UUID(int=11))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uow(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Uow]:
    clock, ids = FixedClock(T0), SequentialIds(seed=3)
    if request.param == "memory":
        db = MemoryDatabase()
        yield lambda: MemoryEventUnitOfWork(db, clock=clock, ids=ids)
        return
    if request.param == "sqlite":
        engine = make_engine(copy_sqlite(sqlite_template, tmp_path / "crm.db"))
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
    yield lambda: SqlEventUnitOfWork(engine, clock=clock, ids=ids)
    if request.param == "sqlite":
        engine.dispose()


def _failed(n: int) -> FailedEvent:
    return FailedEvent(
        id=UUID(int=100 + n),
        raw=f'{{"id": "f{n}"}}',
        errors=(FieldError(field="$.type", value="", reason="is required"),),
        event_id=f"f{n}",
        line=n,
        received_at=T0 + timedelta(seconds=n),
        updated_at=T0,
    )


def test_failed_events_round_trip_and_filter_by_status(uow: Uow) -> None:
    with uow() as u:
        for n in (2, 1):
            u.failed_events.add(_failed(n))
        u.commit()
    with uow() as u:
        assert [f.event_id for f in u.failed_events.list()] == ["f1", "f2"]
        one = u.failed_events.get(UUID(int=101))
        assert one is not None
        assert one.errors == _failed(1).errors
        assert one.line == 1
        u.failed_events.save(attrs.evolve(one, status=FailedStatus.DISCARDED))
        u.commit()
    with uow() as u:
        assert [f.event_id for f in u.failed_events.list()] == ["f2"]
        assert len(u.failed_events.list(status=None)) == 2
        assert u.failed_events.get(UUID(int=999)) is None


def test_failed_events_are_added_set_wise(uow: Uow) -> None:
    with uow() as u:
        u.failed_events.add_many([_failed(n) for n in (3, 1, 2)])
        u.failed_events.add_many([])
        u.commit()
    with uow() as u:
        assert u.failed_events.list() == [attrs.evolve(_failed(n), version=1) for n in (1, 2, 3)]
        one = u.failed_events.get(UUID(int=102))
        assert one is not None
        u.failed_events.save(attrs.evolve(one, status=FailedStatus.RETRIED))  # versioned
        u.commit()
    with uow() as u:
        assert [f.event_id for f in u.failed_events.list()] == ["f1", "f3"]


def test_review_items_round_trip_and_a_stale_save_is_refused(uow: Uow) -> None:
    item = ReviewItem(
        id=UUID(int=7),
        event_id="r1",
        reason=ReviewReason.AMBIGUOUS_MATCH,
        detail="two contacts",
        proposed_action="match",
        proposed_label=SentimentLabel.NEUTRAL,
        confidence=0.4,
        candidates=(ANN, ContactId(UUID(int=12))),
        created_at=T0,
    )
    with uow() as u:
        u.review_queue.add(item)
        u.commit()
    with uow() as u:
        stored = u.review_queue.get(item.id)
        assert stored is not None
        assert stored.candidates == item.candidates
        assert stored.proposed_label is SentimentLabel.NEUTRAL
        resolved = stored.resolve(Resolution(contact_id=ANN, by="ops"), at=T0).unwrap().entity
        u.review_queue.save(resolved)
        u.commit()
    with uow() as u:
        again = u.review_queue.get(item.id)
        assert again is not None
        assert again.status is ReviewStatus.RESOLVED
        assert again.resolution == Resolution(contact_id=ANN, by="ops")
        assert u.review_queue.list() == []
        assert len(u.review_queue.list(status=None, reason=ReviewReason.AMBIGUOUS_MATCH)) == 1
    with pytest.raises(ConcurrentModification):
        _save_and_commit(uow, stored)


def _save_and_commit(uow: Uow, item: ReviewItem) -> None:
    with uow() as u:
        u.review_queue.save(item)
        u.commit()


def _add_ann(uow: Uow) -> None:
    """Facts reference a stored contact (transactions carry a foreign key)."""
    with uow() as u:
        u.contacts.add(
            Contact(
                id=ANN,
                name=PersonName("Ann", "Lee"),
                lifecycle=LifecycleStage.CUSTOMER,
                created_at=T0,
                updated_at=T0,
            )
        )
        u.commit()


def test_facts_are_idempotent_by_event_and_fold_per_customer(uow: Uow) -> None:
    _add_ann(uow)
    for _ in range(2):  # the same events twice change nothing
        with uow() as u:
            u.facts.record_many(
                [
                    _fact("p1", FactKind.PURCHASE, value=Money.of("12.50", "RUB")),
                    _fact("o1", FactKind.ENGAGEMENT, name="email_opened"),
                    _fact("l1", FactKind.ENGAGEMENT, name="app_login"),
                    _fact(
                        "m1",
                        FactKind.SENTIMENT,
                        value=Sentiment(label=SentimentLabel.NEGATIVE, confidence=0.9),
                        at=T0 + timedelta(minutes=1),
                    ),
                    _fact("a1", FactKind.LOYALTY, name="nps", value=9),
                    _fact("b1", FactKind.BILLING, name=BillingKind.SUBSCRIPTION_CANCELLED.value),
                ]
            )
            u.commit()
    with uow() as u:
        facts = u.facts.facts_for(ANN)
        assert [m.amount for _, m in facts.purchases] == [Decimal("12.50")]
        assert (facts.email_opens, facts.email_clicks, facts.logins) == (1, 0, 1)
        assert [label for _, label in facts.sentiments] == [SentimentLabel.NEGATIVE]
        assert facts.cancelled
        assert facts.loyalty == {"nps": 9}
        assert u.facts.facts_for(ContactId(UUID(int=12))).purchases == ()


def _entry(n: int) -> InboxEntry:
    return InboxEntry.accept(
        event_id=f"e{n}",
        type="app_login",
        payload={"id": f"e{n}"},
        occurred_at=T0 + timedelta(minutes=n),
        at=T0,
        validated=True,
    )


def test_a_claimed_batch_is_marked_done_at_once_only_while_still_held(uow: Uow) -> None:
    token, other = UUID(int=1), UUID(int=2)
    with uow() as u:
        u.inbox.add_many([_entry(n) for n in range(4)])
        u.commit()
    with uow() as u:
        due = u.inbox.lock_due(now=T0, limit=3)
        claimed = [
            e.claim(worker="w", token=token, now=T0, lease=timedelta(minutes=1)) for e in due
        ]
        u.inbox.save_many(claimed)
        u.commit()
    with uow() as u:
        assert set(u.inbox.get_many(["e0", "e1", "nope"])) == {"e0", "e1"}
        with pytest.raises(ConcurrentModification):
            u.inbox.mark_done(["e0", "e1"], token=other, at=T0)
    with pytest.raises(ConcurrentModification), uow() as u:
        u.inbox.mark_done(["e0", "e3"], token=token, at=T0)  # e3 was never claimed
    with uow() as u:
        u.inbox.mark_done(["e0", "e1", "e2"], token=token, at=T0)
        u.commit()
    with uow() as u:
        counts = u.inbox.counts()
        assert counts[InboxStatus.DONE] == 3
        assert counts[InboxStatus.PENDING] == 1
        stale = claimed[0]
    with pytest.raises(ConcurrentModification), uow() as u:
        u.inbox.save_many([stale])


def _fact(
    event_id: str,
    kind: FactKind,
    *,
    name: str = "",
    value: object = None,
    at: datetime = T0,
) -> Fact:
    return Fact(
        contact_id=ANN, event_id=event_id, kind=kind, name=name, value=value, occurred_at=at
    )


BOB = ContactId(UUID(int=12))


def test_facts_are_recorded_and_read_set_wise_once_each(uow: Uow) -> None:
    _add_ann(uow)
    with uow() as u:
        u.contacts.add(Contact(id=BOB, name=PersonName("Bob", ""), created_at=T0, updated_at=T0))
        u.commit()
    later = T0 + timedelta(hours=1)
    facts = [
        Fact(
            contact_id=ANN,
            event_id="p1",
            kind=FactKind.PURCHASE,
            value=Money.of("12.50", "RUB"),
            occurred_at=later,
        ),
        Fact(
            contact_id=ANN,
            event_id="o1",
            kind=FactKind.ENGAGEMENT,
            name="email_opened",
            occurred_at=T0,
        ),
        Fact(
            contact_id=ANN,
            event_id="a1",
            kind=FactKind.LOYALTY,
            name="nps",
            value=3,
            occurred_at=T0,
        ),
        Fact(
            contact_id=ANN,
            event_id="a1",
            kind=FactKind.LOYALTY,
            name="note",
            value=None,
            occurred_at=T0,
        ),
        Fact(
            contact_id=ANN,
            event_id="a2",
            kind=FactKind.LOYALTY,
            name="vip",
            value=True,
            occurred_at=T0,
        ),
        Fact(
            contact_id=BOB,
            event_id="m1",
            kind=FactKind.SENTIMENT,
            value=Sentiment(label=SentimentLabel.POSITIVE, confidence=0.75),
            occurred_at=T0,
        ),
        Fact(
            contact_id=BOB,
            event_id="b1",
            kind=FactKind.BILLING,
            name=BillingKind.REFUND.value,
            value=Money.of("5", "RUB"),
            occurred_at=T0,
        ),
    ]
    for _ in range(2):  # again: nothing changes
        with uow() as u:
            u.facts.record_many([*facts, facts[0]])
            u.commit()
    with uow() as u:
        read = u.facts.facts_of([ANN, BOB, ContactId(UUID(int=99))])
        assert set(read) == {ANN, BOB}
        assert list(read[ANN]) == sorted(facts[:5], key=lambda f: f.order)
        assert list(read[BOB]) == sorted(facts[5:], key=lambda f: f.order)
        assert u.facts.facts_for(ANN) == fold_facts(facts[:5])
        assert u.transactions.list_for(ANN) == []  # transactions come from a bus handler
        assert u.facts.facts_of([]) == {}


def _history(rng: random.Random, owner: ContactId, n: int) -> list[Fact]:
    """``n`` facts of every kind over 90 days: times tie, event ids differ by case and
    accent (code-point order, not a locale's), NPS answers valid and not."""
    facts: dict[tuple[str, FactKind, str], Fact] = {}
    for _ in range(n):
        kind = rng.choice(list(FactKind))
        name = ""
        value: object = None
        if kind is FactKind.PURCHASE:
            value = Money.of(str(rng.randint(1, 99)), "RUB")
        elif kind is FactKind.ENGAGEMENT:
            name = rng.choice(["email_opened", "email_clicked", "app_login"])
        elif kind is FactKind.SENTIMENT:
            value = Sentiment(label=rng.choice(list(SentimentLabel)), confidence=0.5)
        elif kind is FactKind.LOYALTY:
            name = rng.choice(["nps", "nps", "vip"])
            value = rng.choice([None, True, False, 0, 10, 11, -1, 5, "7", 7.5, 3])
        else:
            name = BillingKind.REFUND.value
        event_id = rng.choice(["a", "B", "b", "é", "Z", "z1"]) + str(rng.randint(0, 30))
        facts[(event_id, kind, name)] = Fact(
            contact_id=owner,
            event_id=event_id,
            kind=kind,
            name=name,
            value=value,
            occurred_at=T0 - timedelta(hours=12 * rng.randint(0, 180)),
        )
    return list(facts.values())


def test_health_facts_are_those_of_the_domain_rule_over_all_facts(uow: Uow) -> None:
    rng = random.Random(15)
    _add_ann(uow)
    with uow() as u:
        u.contacts.add(Contact(id=BOB, name=PersonName("Bob", ""), created_at=T0, updated_at=T0))
        u.commit()
    with uow() as u:
        u.facts.record_many([*_history(rng, ANN, 120), *_history(rng, BOB, 40)])
        u.commit()
    nobody = ContactId(UUID(int=99))
    with uow() as u:
        every = u.facts.facts_of([ANN, BOB])
        for days in (0, 10, 45, 89, 95):
            now = T0 - timedelta(days=days, hours=1)
            narrow = u.facts.health_facts_of([ANN, BOB, nobody], now=now)
            expected = {c: health_facts(f, now=now) for c, f in every.items()}
            assert narrow == {c: f for c, f in expected.items() if f}
            for contact, facts in every.items():
                got = inputs_from_facts(narrow.get(contact, ()), now=now)
                assert got == inputs_from_facts(facts, now=now)
        assert sum(len(f) for f in narrow.values()) < sum(len(f) for f in every.values())
        assert u.facts.health_facts_of([], now=T0) == {}


def test_the_latest_nps_is_the_last_answer_the_facts_fold_to(uow: Uow) -> None:
    rng = random.Random(16)
    _add_ann(uow)
    with uow() as u:
        u.contacts.add(Contact(id=BOB, name=PersonName("Bob", ""), created_at=T0, updated_at=T0))
        u.commit()
    with uow() as u:
        u.facts.record_many([*_history(rng, ANN, 150), *_history(rng, BOB, 3)])
        u.commit()
    nobody = ContactId(UUID(int=99))
    with uow() as u:
        every = u.facts.facts_of([ANN, BOB])
        latest = u.facts.latest_nps_of([ANN, BOB, nobody])
        answered = {
            c: [f for f in facts if f.kind is FactKind.LOYALTY and f.name == "nps"]
            for c, facts in every.items()
        }
        assert latest == {c: answers[-1] for c, answers in answered.items() if answers}
        assert ANN in latest  # 150 facts hold answers; the test would pass on none
        for contact, fact in latest.items():
            assert fold_facts(every[contact]).loyalty["nps"] == fact.value
        assert u.facts.latest_nps_of([]) == {}


def test_the_health_read_skips_later_invalid_answers_and_breaks_ties_by_event(uow: Uow) -> None:
    _add_ann(uow)

    def answer(event_id: str, value: object, at: datetime = T0) -> Fact:
        return Fact(
            contact_id=ANN,
            event_id=event_id,
            kind=FactKind.LOYALTY,
            name="nps",
            value=value,
            occurred_at=at,
        )

    def feeling(event_id: str, label: SentimentLabel) -> Fact:
        sentiment = Sentiment(label=label, confidence=0.5)
        return Fact(
            contact_id=ANN,
            event_id=event_id,
            kind=FactKind.SENTIMENT,
            value=sentiment,
            occurred_at=T0,
        )

    early = T0 - timedelta(days=3)
    valid = answer("n0", 4, early)
    later = [answer("n1", 7.5), answer("n2", True), answer("n3", "7"), answer("n4", 11)]
    tied = [feeling("B1", SentimentLabel.NEGATIVE), feeling("a1", SentimentLabel.POSITIVE)]
    with uow() as u:
        u.facts.record_many([valid, *later, *tied])
        u.commit()
    with uow() as u:
        assert u.facts.health_facts_of([ANN], now=T0) == {ANN: [valid, tied[1]]}


def test_review_items_are_added_set_wise(uow: Uow) -> None:
    items = [
        ReviewItem(
            id=UUID(int=70 + n),
            event_id=f"r{n}",
            reason=ReviewReason.LOW_CONFIDENCE,
            detail="unsure",
            proposed_action="label",
            created_at=T0 + timedelta(seconds=n),
        )
        for n in range(3)
    ]
    with uow() as u:
        u.review_queue.add_many(items)
        u.review_queue.add_many([])
        u.commit()
    with uow() as u:
        assert [i.event_id for i in u.review_queue.list()] == ["r0", "r1", "r2"]
