"""Intelligence ports contract (transactions, RFM, segments, audience, health), run
unchanged against memory, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from crmcore.adapters.memory.intelligence import customer_facts
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.rfm_sql import summary_covers
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.domain.account import Account, AccountType
from crmcore.domain.contact import Channel, Contact, ContactRole, LifecycleStage
from crmcore.domain.filters import matches, parse_filter
from crmcore.domain.health import HEALTH_RETENTION, HealthRecord, HealthRecordId, RiskLevel
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.rfm import RfmSegment, compute_rfm
from crmcore.domain.segment import Segment, SegmentId
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from tests.contract.conftest import Backend
from tests.contract.helpers import account, contact, write_and_commit
from tests.strategies import RFM_AS_OF, transaction_histories


def purchase(
    b: Backend, customer: ContactId, at: datetime, amount: str, key: str, currency: str = "EUR"
) -> Transaction:
    return Transaction(
        id=TransactionId(b.ids.new()),
        customer=customer,
        occurred_at=at,
        amount=Money(Decimal(amount), currency),
        external_id=key,
        channel="web",
        product="plan",
    )


def stored(x: Any) -> Any:
    """``x`` as read back once stored (append-only rows are at version 1)."""
    return attrs.evolve(x, version=1)


# -- transactions ------------------------------------------------------------------------


def test_transactions_read_back_per_customer_oldest_first(backend: Backend) -> None:
    ann, bob = contact(backend, user_id="ann"), contact(backend, user_id="bob")
    t0 = backend.clock.now()
    late = purchase(backend, ann.id, t0, "10.50", "t-late")
    early = purchase(backend, ann.id, t0 - timedelta(days=3), "0.01", "t-early")
    other = purchase(backend, bob.id, t0, "99", "t-bob", currency="USD")
    with backend.uow() as uow:
        uow.contacts.add(ann)
        uow.contacts.add(bob)
        uow.transactions.add(late)
        assert uow.transactions.add_many([early, other]) == 2
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.transactions.list_for(ann.id)) == [stored(early), stored(late)]
        assert list(uow.transactions.list_for(bob.id)) == [stored(other)]
        assert list(uow.transactions.list_for(ContactId(backend.ids.new()))) == []


def test_adding_again_is_idempotent_by_external_id(backend: Backend) -> None:
    ann = contact(backend, user_id="ann")
    t0 = backend.clock.now()
    first = [purchase(backend, ann.id, t0 - timedelta(hours=i), "5", f"k{i}") for i in range(5)]
    with backend.uow() as uow:
        uow.contacts.add(ann)
        assert uow.transactions.add_many(first) == 5
        uow.commit()
    again = [attrs.evolve(x, id=TransactionId(backend.ids.new())) for x in first]
    twice_new = purchase(backend, ann.id, t0, "7", "k-new")
    with backend.uow() as uow:
        assert uow.transactions.existing_external_ids(["k0", "k4", "zz"]) == {"k0", "k4"}
        assert uow.transactions.existing_external_ids([]) == set()
        stored = uow.transactions.add_many([*again, twice_new, twice_new])
        assert stored == 1
        uow.commit()
    with backend.uow() as uow:
        assert len(uow.transactions.list_for(ann.id)) == 6


def test_keys_looked_up_as_missing_are_stored_once(backend: Backend) -> None:
    """The import looks its rows' keys up, then the bus stores the same keys: each once,
    in one unit of work or across several."""
    ann = contact(backend, user_id="ann")
    t0 = backend.clock.now()
    rows = [purchase(backend, ann.id, t0 - timedelta(hours=i), "5", f"m{i}") for i in range(3)]
    with backend.uow() as uow:
        uow.contacts.add(ann)
        assert uow.transactions.existing_external_ids(["m0", "m1", "m2"]) == set()
        uow.transactions.add(rows[2])
        assert uow.transactions.add_many(rows) == 2
        again = [attrs.evolve(x, id=TransactionId(backend.ids.new())) for x in rows]
        assert uow.transactions.add_many(again) == 0
        assert uow.transactions.existing_external_ids(["m0", "m9"]) == {"m0"}
        uow.commit()
    with backend.uow() as uow:
        assert uow.transactions.existing_external_ids(["m0", "m1", "m2"]) == {"m0", "m1", "m2"}
        assert uow.transactions.add_many(again) == 0
        uow.commit()
    with backend.uow() as uow:
        assert len(uow.transactions.list_for(ann.id)) == 3


def test_a_key_looked_up_as_missing_but_stored_meanwhile_is_not_doubled(
    backend: Backend,
) -> None:
    ann = contact(backend, user_id="ann")
    with backend.uow() as uow:
        uow.contacts.add(ann)
        uow.commit()
    row = purchase(backend, ann.id, backend.clock.now(), "5", "race")
    first, second = backend.uow(), backend.uow()
    with first, second:
        assert first.transactions.existing_external_ids(["race"]) == set()
        second.transactions.add_many([row])
        second.commit()
        other = attrs.evolve(row, id=TransactionId(backend.ids.new()))
        # SQL refuses the insert (the key is unique); memory sees the stored key
        with contextlib.suppress(ConcurrentModification, DuplicateKey):
            first.transactions.add_many([other])
            first.commit()
    with backend.uow() as uow:
        assert len(uow.transactions.list_for(ann.id)) == 1


def _rfm_rows(backend: Backend, history: Sequence[tuple[str, datetime, Decimal]]) -> Any:
    """``(got, expected)`` per ``as_of`` day: the newest transaction's day and later (the
    SQL summary covers them), the day before it and :data:`RFM_AS_OF` (grouped query)."""
    names = sorted({c for c, _, _ in history})
    people = {name: contact(backend, user_id=name) for name in names}
    txs = [
        purchase(backend, people[c].id, at, str(amount), f"h{i}")
        for i, (c, at, amount) in enumerate(history)
    ]
    newest = max((at.date() for _, at, _ in history), default=RFM_AS_OF)
    days = [newest, newest + timedelta(days=45), newest - timedelta(days=1), RFM_AS_OF]
    out = {}
    with backend.uow() as uow:  # never committed: every example starts empty
        for person in people.values():
            uow.contacts.add(person)
        uow.transactions.add_many(txs)
        for day in days:
            if isinstance(uow, SqlUnitOfWork):
                covered = summary_covers(uow.session.conn, t.customer_rfm, as_of=day)
                assert covered == (not history or day >= newest)
            got = uow.transactions.rfm(as_of=day)
            counts = uow.transactions.rfm_counts(as_of=day)
            expected = compute_rfm(
                ((people[c].id, at, amount) for c, at, amount in history), as_of=day
            )
            active = sum(1 for r in expected if r.active)
            assert counts.active == active
            assert counts.sleeping == len(expected) - active
            assert dict(counts.segments) == {
                s: sum(1 for r in expected if r.segment == s) for s in RfmSegment
            }
            out[day] = (got, sorted(expected, key=lambda r: r.customer))
    return out


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=transaction_histories(max_customers=6, max_rows=30))
def test_rfm_equals_the_python_classifier(
    backend: Backend, history: list[tuple[str, datetime, Decimal]]
) -> None:
    def shape(rows: Any) -> list[tuple[Any, ...]]:
        return [
            (r.customer, r.frequency, r.last_at, r.monetary, r.recency, r.segment) for r in rows
        ]

    for got, expected in _rfm_rows(backend, history).values():
        assert shape(got) == shape(expected)


# -- segments ----------------------------------------------------------------------------


def segment(b: Backend, name: str, data: dict[str, Any]) -> Segment:
    now = b.clock.now()
    return Segment(
        id=SegmentId(b.ids.new()), name=name, filter=data, created_at=now, updated_at=now
    )


def test_segments_add_get_list_and_save(backend: Backend) -> None:
    vip = segment(backend, "vip", {"field": "behaviour.transactions", "op": "ge", "value": 10})
    eu = segment(backend, "eu", {"field": "account.region", "op": "eq", "value": "EU"})
    with backend.uow() as uow:
        uow.segments.add(vip)
        uow.segments.add(eu)
        uow.commit()
    with backend.uow() as uow:
        got = uow.segments.get_by_name("vip")
        assert got is not None
        assert attrs.evolve(got, version=0) == vip
        assert [s.name for s in uow.segments.list()] == ["eu", "vip"]
        assert uow.segments.get_by_name("nope") is None
        later = backend.clock.now() + timedelta(hours=1)
        uow.segments.save(got.refreshed(42, at=later))
        uow.commit()
    with backend.uow() as uow:
        again = uow.segments.get_by_name("vip")
        assert again is not None
        assert (again.member_count, again.refreshed_at, again.updated_at) == (42, later, later)
        assert again.version == got.version + 1
    with backend.uow() as uow:
        stale = got.refreshed(1, at=later)
        with pytest.raises(ConcurrentModification):
            write_and_commit(uow, lambda: uow.segments.save(stale))


def _population(b: Backend) -> tuple[list[Contact], list[Account], list[Transaction]]:
    now = b.clock.now()
    acme = attrs.evolve(
        account(b, "Acme"), type=AccountType.CORPORATION, industry="Retail", region="EU"
    )
    solo = attrs.evolve(account(b, "Solo"), region="US", size_range="1-10")
    people = [
        attrs.evolve(
            contact(b, user_id="u1", email="ann@example.com", first="Ann", account_id=acme.id),
            lifecycle=LifecycleStage.CUSTOMER,
            role=ContactRole.DECISION_MAKER,
            preferred_channel=Channel.EMAIL,
        ),
        attrs.evolve(
            contact(b, user_id="u2", first="Bob", account_id=solo.id),
            lifecycle=LifecycleStage.CUSTOMER,
        ),
        attrs.evolve(contact(b, user_id="u3", first="Cy"), created_at=now - timedelta(days=400)),
        attrs.evolve(contact(b, user_id="u4", first="Di"), archived=True),
        contact(b, email="eve@example.com", first="Eve", account_id=acme.id),
    ]
    txs = [
        purchase(b, people[0].id, now - timedelta(days=2), "100.10", "a1"),
        purchase(b, people[0].id, now - timedelta(days=40), "0.20", "a2"),
        purchase(b, people[1].id, now - timedelta(days=90), "19.70", "b1"),
        purchase(b, people[3].id, now - timedelta(days=1), "500", "d1"),
        purchase(b, people[4].id, now - timedelta(days=10), "-5", "e1"),
    ]
    return people, [acme, solo], txs


FILTERS: list[dict[str, Any]] = [
    {"field": "contact.lifecycle", "op": "eq", "value": "customer"},
    {"field": "contact.email", "op": "contains", "value": "EXAMPLE"},
    {"field": "contact.first_name", "op": "in", "value": ["Ann", "Cy"]},
    {"field": "contact.last_name", "op": "is_null", "value": True},
    {"field": "contact.role", "op": "eq", "value": "decision_maker"},
    {"field": "contact.preferred_channel", "op": "is_null", "value": False},
    {"field": "contact.archived", "op": "eq", "value": True},
    {"field": "contact.created_at", "op": "between", "value": "last 30 days"},
    {"field": "contact.user_id", "op": "ne", "value": "u2"},
    {"field": "account.name", "op": "eq", "value": "Acme"},
    {"field": "account.type", "op": "eq", "value": "corporation"},
    {"field": "account.industry", "op": "is_null", "value": True},
    {"not": {"field": "account.region", "op": "eq", "value": "EU"}},
    {"field": "account.size_range", "op": "eq", "value": "1-10"},
    {"field": "behaviour.transactions", "op": "eq", "value": 0},
    {"field": "behaviour.transactions", "op": "ge", "value": 2},
    {"field": "behaviour.monetary", "op": "eq", "value": "100.30"},
    {"field": "behaviour.monetary", "op": "lt", "value": 20},
    {"field": "behaviour.first_transaction_at", "op": "lt", "value": "30 days ago"},
    {"field": "behaviour.last_transaction_at", "op": "between", "value": "last 30 days"},
    {"field": "score.health", "op": "lt", "value": 50},
    {"field": "score.health_level", "op": "eq", "value": "green"},
    {"field": "score.health", "op": "is_null", "value": True},
    {
        "or": [
            {"field": "account.region", "op": "eq", "value": "US"},
            {
                "and": [
                    {"field": "behaviour.transactions", "op": "ge", "value": 1},
                    {"field": "score.health_level", "op": "ne", "value": "red"},
                ]
            },
        ]
    },
]


@pytest.mark.parametrize("data", FILTERS, ids=lambda d: str(d)[:60])
def test_audience_members_match_the_domain_evaluator(
    backend: Backend, data: dict[str, Any]
) -> None:
    people, accounts, txs = _population(backend)
    now = backend.clock.now()
    old = health(backend, people[0].id, 30, at=now - timedelta(days=5))
    new = health(backend, people[0].id, 80, at=now - timedelta(days=1))
    red = health(backend, people[1].id, 20, at=now - timedelta(days=1))
    with backend.uow() as uow:
        for a in accounts:
            uow.accounts.add(a)
        for p in people:
            uow.contacts.add(p)
        uow.transactions.add_many(txs)
        for record in (old, new, red):
            uow.health.add(record)
        uow.commit()
    node = parse_filter(data).unwrap()
    latest = {people[0].id: new, people[1].id: red}
    by_account = {a.id: a for a in accounts}
    expected = sorted(
        p.id
        for p in people
        if not p.archived
        and matches(
            node,
            customer_facts(
                p,
                by_account.get(p.account_id) if p.account_id else None,
                [x for x in txs if x.customer == p.id],
                latest.get(p.id),
            ),
            now=now,
        )
    )
    with backend.uow() as uow:
        assert list(uow.audience.members(node, now=now)) == expected


# -- health ------------------------------------------------------------------------------


def health(b: Backend, customer: ContactId, score: int, *, at: datetime) -> HealthRecord:
    level = RiskLevel.RED if score < 50 else RiskLevel.YELLOW if score < 70 else RiskLevel.GREEN
    return HealthRecord(
        id=HealthRecordId(b.ids.new()),
        customer=customer,
        score=score,
        level=level,
        factors={"usage": 0.5, "sentiment": 0.25},
        reasons=("inactive: inactive for 20 days",) if score < 50 else (),
        computed_at=at,
    )


def test_health_history_latest_and_the_six_month_purge(backend: Backend) -> None:
    ann, bob = contact(backend, user_id="ann"), contact(backend)
    now = backend.clock.now()
    ann_old = health(backend, ann.id, 40, at=now - timedelta(days=300))
    ann_mid = health(backend, ann.id, 60, at=now - timedelta(days=200))
    ann_new = health(backend, ann.id, 75, at=now - timedelta(days=1))
    bob_only = health(backend, bob.id, 30, at=now - timedelta(days=400))
    with backend.uow() as uow:
        uow.contacts.add(ann)
        uow.contacts.add(bob)
        for record in (ann_mid, ann_new, ann_old, bob_only):
            uow.health.add(record)
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.health.history(ann.id)) == [stored(r) for r in (ann_old, ann_mid, ann_new)]
        assert uow.health.latest(ann.id) == stored(ann_new)
        assert uow.health.latest(ContactId(backend.ids.new())) is None
        assert sorted(uow.health.latest_all(), key=lambda r: r.customer) == sorted(
            [stored(ann_new), stored(bob_only)], key=lambda r: r.customer
        )
        assert uow.health.purge_before(now - HEALTH_RETENTION) == 2
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.health.history(ann.id)) == [stored(ann_new)]
        assert list(uow.health.history(bob.id)) == [stored(bob_only)]  # a latest score is kept


def test_due_marks_are_one_per_customer_and_taken_in_id_order(backend: Backend) -> None:
    customers = sorted((ContactId(backend.ids.new()) for _ in range(5)), key=str)
    now = backend.clock.now()
    with backend.uow() as uow:
        assert uow.health.take_due(10) == []
        uow.health.mark_due(customers[3:], at=now)
        uow.health.mark_due([customers[0], customers[3], customers[0]], at=now)
        uow.commit()
    with backend.uow() as uow:
        uow.health.mark_due(customers[:2], at=now + timedelta(hours=1))  # one more: [1]
        uow.commit()
    with backend.uow() as uow:
        assert uow.health.due_count() == 4
        assert list(uow.health.take_due(3)) == [customers[0], customers[1], customers[3]]
        assert uow.health.due_count() == 1
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.health.take_due(0)) == []
        assert list(uow.health.take_due(10)) == [customers[4]]
        assert uow.health.take_due(10) == []
        uow.commit()
    assert_no_due(backend)


def assert_no_due(backend: Backend) -> None:
    with backend.uow() as uow:
        assert uow.health.due_count() == 0


def test_taken_marks_come_back_when_the_transaction_rolls_back(backend: Backend) -> None:
    customers = sorted((ContactId(backend.ids.new()) for _ in range(3)), key=str)
    with backend.uow() as uow:
        uow.health.mark_due(customers, at=backend.clock.now())
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.health.take_due(2)) == customers[:2]
        # no commit: rolled back
    with backend.uow() as uow:
        assert uow.health.due_count() == 3
        assert list(uow.health.take_due(5)) == customers
        uow.commit()
    assert_no_due(backend)
