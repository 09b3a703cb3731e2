"""The analytics read models (issue 19) on memory, SQLite and PostgreSQL: each equals a
plain recount, in this test, of the generated rows it was given."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from crmcore.domain.cohorts import CohortBy, CohortPeriod
from crmcore.domain.facts import Fact, FactKind
from crmcore.domain.funnel import FunnelJourney, FunnelStage, StageEntry
from crmcore.domain.ids import ContactId
from crmcore.domain.lead import LeadSource, LeadStatus
from crmcore.domain.money import Money
from crmcore.domain.transaction import Transaction, TransactionId
from tests.contract.conftest import Backend
from tests.contract.helpers import contact, deal, lead

START = datetime(2026, 1, 1, tzinfo=UTC)
SINCE = datetime(2026, 2, 1, tzinfo=UTC)
UNTIL = datetime(2026, 6, 1, tzinfo=UTC)


def month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def week(at: datetime) -> str:
    """The Monday of the ISO week of ``at`` (UTC)."""
    year, number, _ = at.astimezone(UTC).isocalendar()
    return date.fromisocalendar(year, number, 1).isoformat()


def inside(at: datetime) -> bool:
    return SINCE <= at < UNTIL


@attrs.define
class Generated:
    created: dict[UUID, datetime] = attrs.field(factory=dict)
    histories: dict[UUID, list[tuple[str, datetime]]] = attrs.field(factory=dict)
    purchases: list[tuple[UUID, datetime, Decimal]] = attrs.field(factory=list)
    facts: list[Fact] = attrs.field(factory=list)


def generate(b: Backend, seed: int) -> Generated:
    rng = random.Random(seed)
    out = Generated()
    stages = list(FunnelStage)
    with b.uow() as uow:
        for n in range(25):
            created = START + timedelta(days=rng.randrange(0, 170), minutes=rng.randrange(1440))
            at = created
            entries = []
            for stage in sorted(rng.sample(stages, rng.randrange(1, 5)), key=stages.index):
                at += timedelta(minutes=rng.randrange(1, 3000))
                entries.append(StageEntry(stage=stage, at=at))
            base = contact(b, email=f"c{n}@example.com")
            person = attrs.evolve(
                base,
                created_at=created,
                funnel=FunnelJourney(stage=entries[-1].stage, history=tuple(entries)),
            )
            uow.contacts.add(person)
            out.created[person.id] = created
            out.histories[person.id] = [(e.stage.value, e.at) for e in entries]
            for k in range(rng.randrange(0, 5)):
                when = created + timedelta(days=rng.randrange(0, 120), hours=rng.randrange(24))
                amount = Decimal(rng.randrange(100, 99_999)) / 100
                uow.transactions.add(
                    Transaction(
                        id=TransactionId(b.ids.new()),
                        customer=person.id,
                        occurred_at=when,
                        amount=Money.of(amount, "USD"),
                        external_id=f"t-{n}-{k}",
                    )
                )
                out.purchases.append((person.id, when, amount))
            for k in range(rng.randrange(0, 6)):
                kind, name, value = rng.choice(
                    [
                        (FactKind.ENGAGEMENT, "email_opened", None),
                        (FactKind.ENGAGEMENT, "app_login", None),
                        (FactKind.PURCHASE, "", Money.of(Decimal(rng.randrange(1, 500)), "USD")),
                        (
                            FactKind.BILLING,
                            "payment",
                            Money.of(Decimal(rng.randrange(10, 90)), "USD"),
                        ),
                        (FactKind.BILLING, "refund", Money.of(Decimal(rng.randrange(1, 9)), "USD")),
                        (FactKind.BILLING, "invoice_overdue", None),
                        (FactKind.LOYALTY, "nps", rng.randrange(0, 11)),
                    ]
                )
                out.facts.append(
                    Fact(
                        contact_id=ContactId(person.id),
                        event_id=f"e-{n}-{k}",
                        kind=kind,
                        name=name,
                        value=value,
                        occurred_at=created + timedelta(days=rng.randrange(0, 100)),
                    )
                )
        uow.facts.record_many(out.facts)
        uow.commit()
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_read_models_equal_a_recount(backend: Backend, seed: int) -> None:
    g = generate(backend, seed)
    with backend.uow() as uow:
        q = uow.analytics
        # touches and conversions: the engagement and purchase facts of the window
        touches = q.touches(since=SINCE, until=UNTIL)
        expected_touches = sorted(
            (f.contact_id, f.name, f.occurred_at)
            for f in g.facts
            if f.kind is FactKind.ENGAGEMENT and inside(f.occurred_at)
        )
        assert sorted((t.contact_id, t.channel, t.at) for t in touches) == expected_touches
        conversions = q.conversions(since=None, until=None)
        assert sorted((c.contact_id, c.at, c.value) for c in conversions) == sorted(
            (f.contact_id, f.occurred_at, float(f.value.amount))
            for f in g.facts
            if f.kind is FactKind.PURCHASE
        )
        # funnel histories of journeys that began in the window
        histories = q.funnel_histories(since=SINCE, until=UNTIL)
        assert sorted([(e.stage, e.at) for e in h] for h in histories) == sorted(
            h for h in g.histories.values() if inside(h[0][1])
        )
        # cohorts by first purchase and by signup
        first: dict[UUID, datetime] = {}
        for who, at, _ in g.purchases:
            first[who] = min(at, first.get(who, at))
        cases = [
            (by, began, period, label)
            for by, began in ((CohortBy.FIRST_PURCHASE, first), (CohortBy.SIGNUP, g.created))
            for period, label in ((CohortPeriod.MONTH, month), (CohortPeriod.WEEK, week))
        ]
        for by, began, period, label in cases:
            sizes: dict[str, int] = defaultdict(int)
            for at in began.values():
                if inside(at):
                    sizes[label(at)] += 1
            got = {
                s.cohort: s.customers
                for s in q.cohort_sizes(by, since=SINCE, until=UNTIL, period=period)
            }
            assert got == dict(sizes), (by, period)
            buyers: dict[tuple[str, str], set[UUID]] = defaultdict(set)
            revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for who, at, amount in g.purchases:
                if who in began and inside(began[who]) and inside(at):
                    buyers[(label(began[who]), label(at))].add(who)
                    revenue[(label(began[who]), label(at))] += amount
            cells = q.cohort_cells(by, since=SINCE, until=UNTIL, period=period)
            assert {(c.cohort, c.period): (c.customers, c.revenue) for c in cells} == {
                key: (len(who), revenue[key]) for key, who in buyers.items()
            }, (by, period)
        # billing months: payments less refunds per customer and month
        paid: dict[tuple[UUID, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for f in g.facts:
            if f.kind is FactKind.BILLING and f.name in ("payment", "refund"):
                paid[(f.contact_id, month(f.occurred_at))][f.name == "refund"] += f.value.amount
        assert {
            (m.contact_id, m.month): [m.paid, m.refunded]
            for m in q.billing_months(since=None, until=None)
        } == dict(paid)
        assert sorted(q.nps_scores(since=SINCE, until=UNTIL)) == sorted(
            f.value
            for f in g.facts
            if f.kind is FactKind.LOYALTY and f.name == "nps" and inside(f.occurred_at)
        )


def test_lead_sources_equal_a_recount(backend: Backend) -> None:
    rng = random.Random(5)
    made = []
    with backend.uow() as uow:
        for n in range(30):
            created = START + timedelta(days=rng.randrange(0, 170))
            one = attrs.evolve(
                lead(backend, f"l{n}@example.com"),
                source=rng.choice(list(LeadSource)),
                status=rng.choice(list(LeadStatus)),
                score=rng.randrange(0, 101),
                created_at=created,
            )
            uow.leads.add(one)
            made.append(one)
        uow.commit()
    with backend.uow() as uow:
        got = {s.source: s for s in uow.analytics.lead_sources(since=SINCE, until=UNTIL)}
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for one in made:
        if inside(one.created_at):
            row = expected[one.source.value]
            row[0] += 1
            row[1] += one.status is LeadStatus.QUALIFIED
            row[2] += one.status is LeadStatus.CONVERTED
            row[3] += one.score
    assert {s: [g.leads, g.qualified, g.converted, g.score_total] for s, g in got.items()} == dict(
        expected
    )


def test_deal_lead_sources_follow_contact_to_lead(backend: Backend) -> None:
    source_lead = attrs.evolve(lead(backend, "src@example.com"), source=LeadSource.EVENT)
    person = attrs.evolve(contact(backend, email="p@example.com"), source_lead_id=source_lead.id)
    loner = contact(backend, email="q@example.com")
    with backend.uow() as uow:
        uow.leads.add(source_lead)
        uow.contacts.add(person)
        uow.contacts.add(loner)
        sold = attrs.evolve(deal(backend, "Sold"), contact_id=person.id)
        other = attrs.evolve(deal(backend, "Other"), contact_id=loner.id)
        uow.deals.add(sold)
        uow.deals.add(other)
        uow.deals.add(deal(backend, "No contact"))
        uow.commit()
    with backend.uow() as uow:
        assert dict(uow.analytics.deal_lead_sources()) == {sold.id: "event"}
