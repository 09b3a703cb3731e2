"""A deterministic synthetic CRM for ``crm demo`` (issue 5).

``build_demo(app, seed=..., size=...)`` writes, in one unit of work, accounts
(universities, corporations, NGOs), contacts with health inputs, leads from every source,
deals across the b2b pipeline (some slipping), activities and tasks, purchases as
transactions (RFM, CLV), loyalty facts with the cards they place on the board, and one
health score per contact (``app/demo/intel.py``). The same seed gives the same data;
running it again on the database changes nothing: a marker account records the seed and
size, and a database holding another seed or size is refused rather than mixed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.demo.intel import (
    account_moods,
    assess_contacts,
    demo_rng,
    health_facts,
    place_on_board,
    purchase_rows,
    store_purchases,
)
from crmcore.app.errors import AppError, Conflict
from crmcore.app.loyalty.board import board_config
from crmcore.app.sales.deals import deal_created, new_deal
from crmcore.domain.account import Account, AccountType, size_range_for
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Channel, Contact, ContactRole, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.health import HealthConfig
from crmcore.domain.ids import AccountId, ActivityId, ContactId, LeadId
from crmcore.domain.lead import Engagement, Firmographics, Lead, LeadSource, LeadStatus
from crmcore.domain.loyalty import BoardConfig
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import OPEN_STAGES, DealStage
from crmcore.ports.uow import UnitOfWork

#: The demo's "today": a fixed instant so that every run prints the same tour.
DEMO_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

SIZES: dict[str, dict[str, int]] = {
    "small": {"accounts": 12, "contacts": 60, "leads": 80, "deals": 30, "transactions": 400},
    "medium": {"accounts": 40, "contacts": 400, "leads": 600, "deals": 150, "transactions": 4000},
    "large": {
        "accounts": 200,
        "contacts": 5000,
        "leads": 8000,
        "deals": 1500,
        "transactions": 60000,
    },
}

FIRST = [
    "Anna",
    "Ivan",
    "Maria",
    "Pavel",
    "Olga",
    "Dmitry",
    "Elena",
    "Sergey",
    "Irina",
    "Alexei",
    "Natalia",
    "Mikhail",
    "Tatiana",
    "Andrei",
    "Svetlana",
    "Nikolai",
    "Julia",
    "Artem",
]
LAST = [
    "Ivanova",
    "Petrov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Sokolov",
    "Lebedeva",
    "Kozlov",
    "Novikova",
    "Morozov",
    "Volkova",
    "Fedorov",
    "Orlova",
    "Pavlov",
    "Semenova",
    "Egorov",
]
UNIVERSITIES = [
    "Northbridge University",
    "Eastfield Institute of Technology",
    "Riverside State",
    "Lakeview College",
    "Summit University",
    "Harbor Polytechnic",
]
CORPORATIONS = [
    "Acme Robotics",
    "Globex Energy",
    "Initech Software",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Analytics",
    "Cyberdyne Systems",
    "Tyrell Biotech",
    "Soylent Foods",
    "Hooli Cloud",
    "Vandelay Imports",
    "Wonka Confections",
]
NGOS = ["Open Learning Fund", "Code for Everyone", "Green Future Alliance"]
INDUSTRIES = ["education", "software", "energy", "healthcare", "logistics", "finance", "retail"]
SOURCE_DETAILS: dict[LeadSource, tuple[str, ...]] = {
    LeadSource.ORGANIC: ("search", "direct"),
    LeadSource.REFERRAL: ("customer", "tokenomics"),
    LeadSource.EVENT: ("meeting", "webinar", "workshop"),
    LeadSource.CONTENT: ("download", "blog subscription"),
    LeadSource.PAID: ("ad network",),
    LeadSource.PARTNERSHIP: ("university", "corporation"),
    LeadSource.IMPORT: ("csv",),
    LeadSource.API: ("lms trial", "web form"),
}


#: The account that records which demo a database holds (its attributes: seed, size).
DEMO_MARKER = "Demo CRM (crm demo)"


@attrs.frozen(kw_only=True)
class DemoData:
    """Which demo the database holds, its "today", and whether this run built it."""

    seed: int
    size: str
    built: bool
    as_of: date


def _held(marker: Account, seed: int, size: str) -> Result[bool, AppError]:
    held = (marker.attributes.get("seed"), marker.attributes.get("size"))
    if held == (seed, size):
        return Success(False)
    return Failure(
        Conflict(
            detail=(
                f"this database holds the demo of seed {held[0]}, size {held[1]}; run "
                f"`crm demo --seed {held[0]} --size {held[1]}` for its tour, or use a fresh --db"
            )
        )
    )


def build_demo(app: App, *, seed: int = 7, size: str = "small") -> Result[DemoData, AppError]:
    """Build (once) the synthetic CRM of ``seed`` and ``size`` in ``app``'s database."""
    if size not in SIZES:
        reason = f"must be one of {', '.join(SIZES)}"
        return Failure(InvalidInput(errors=(FieldError(field="size", value=size, reason=reason),)))
    now = app.clock.now()
    board = board_config(app)
    if isinstance(board, Failure):
        return Failure(board.failure())
    config = board.unwrap()

    def work(uow: UnitOfWork) -> Result[bool, AppError]:
        marker = uow.accounts.find_by_name(DEMO_MARKER)
        if marker is not None:
            return _held(marker, seed, size)
        return _build(app, uow, seed=seed, size=size, now=now, config=config)

    built = transact(app, work)
    if isinstance(built, Failure):
        return Failure(built.failure())
    return Success(DemoData(seed=seed, size=size, built=built.unwrap(), as_of=now.date()))


def _build(
    app: App, uow: UnitOfWork, *, seed: int, size: str, now: datetime, config: BoardConfig
) -> Result[bool, AppError]:
    counts = SIZES[size]
    rng = random.Random(seed)
    accounts = _accounts(app, rng, counts["accounts"], now)
    for account in accounts:
        uow.accounts.add(account)
    people = _contacts(app, rng, counts["contacts"], accounts, now)
    staffed = {c.account_id for c in people}
    moods = account_moods(demo_rng(seed, "moods"), [a for a in accounts if a.id in staffed])
    contacts = _with_health(people, moods, demo_rng(seed, "health"), now)
    uow.contacts.upsert_many(contacts)
    uow.leads.upsert_many(_leads(app, rng, counts["leads"], now))
    _deals(app, uow, rng, counts["deals"], accounts, contacts, now, now.date())
    _activities(app, uow, rng, contacts, now)
    rows = purchase_rows(demo_rng(seed, "purchases"), seed, contacts, counts["transactions"], now)
    stored = store_purchases(app, uow, rows, config)
    if isinstance(stored, Failure):
        return Failure(stored.failure())
    placed = place_on_board(app, uow, demo_rng(seed, "loyalty"), contacts, config)
    if isinstance(placed, Failure):
        return Failure(placed.failure())
    assessed = assess_contacts(app, uow, contacts, HealthConfig())
    if isinstance(assessed, Failure):
        return Failure(assessed.failure())
    uow.accounts.add(
        Account(
            id=AccountId(app.ids.new()),
            name=DEMO_MARKER,
            type=AccountType.NGO,
            attributes={"demo": True, "seed": seed, "size": size},
            created_at=now,
            updated_at=now,
        )
    )
    return Success(True)


def _with_health(
    contacts: list[Contact],
    moods: dict[AccountId, float],
    rng: random.Random,
    now: datetime,
) -> list[Contact]:
    """Contacts with health inputs near their account's mood (their own when alone)."""
    out = []
    for contact in contacts:
        base = moods.get(contact.account_id) if contact.account_id else None
        mood = rng.random() if base is None else min(1.0, max(0.0, rng.gauss(base, 0.1)))
        health = health_facts(rng, mood, now)
        out.append(attrs.evolve(contact, attributes={**contact.attributes, "health": health}))
    return out


def _accounts(app: App, rng: random.Random, n: int, now: datetime) -> list[Account]:
    pool = [(u, AccountType.UNIVERSITY) for u in UNIVERSITIES]
    pool += [(c, AccountType.CORPORATION) for c in CORPORATIONS]
    pool += [(g, AccountType.NGO) for g in NGOS]
    out = []
    for i in range(n):
        base, kind = pool[i % len(pool)]
        name = base if i < len(pool) else f"{base} {i // len(pool) + 1}"
        employees = rng.choice([8, 40, 150, 800, 3000, 12000])
        out.append(
            Account(
                id=AccountId(app.ids.new()),
                name=name,
                type=kind,
                industry="education" if kind is AccountType.UNIVERSITY else rng.choice(INDUSTRIES),
                size_range=size_range_for(employees),
                website=f"https://{base.lower().replace(' ', '-')}.example.org",
                region=rng.choice(["RU-MOW", "RU-SPE", "DE-BE", "US-CA"]),
                attributes={"employees": employees},
                created_at=now,
                updated_at=now,
            )
        )
    return out


def _person(rng: random.Random) -> PersonName:
    return PersonName(rng.choice(FIRST), rng.choice(LAST))


def _phone(rng: random.Random) -> Phone:
    return Phone(f"+7900{rng.randrange(10**7):07d}")


def _contacts(
    app: App, rng: random.Random, n: int, accounts: list[Account], now: datetime
) -> list[Contact]:
    out = []
    for i in range(n):
        account = accounts[i % len(accounts)] if rng.random() < 0.6 else None
        out.append(
            Contact(
                id=ContactId(app.ids.new()),
                name=_person(rng),
                email=Email(f"{FIRST[i % len(FIRST)].lower()}.{i}@demo-contacts.example.org"),
                phone=_phone(rng) if rng.random() < 0.7 else None,
                user_id=f"user-{i:05d}",
                account_id=account.id if account else None,
                role=rng.choice(list(ContactRole)) if account else None,
                lifecycle=rng.choice(list(LifecycleStage)),
                preferred_channel=rng.choice(list(Channel)),
                created_at=now - timedelta(days=rng.randrange(400)),
                updated_at=now,
            )
        )
    return out


def _leads(app: App, rng: random.Random, n: int, now: datetime) -> list[Lead]:
    sources = list(LeadSource)
    out = []
    for i in range(n):
        source = sources[i % len(sources)]
        status = rng.choices(list(LeadStatus), weights=[55, 25, 10, 10])[0]
        out.append(
            Lead(
                id=LeadId(app.ids.new()),
                email=Email(f"lead.{i}@demo-leads.example.org"),
                name=_person(rng),
                phone=_phone(rng) if rng.random() < 0.5 else None,
                company=rng.choice(CORPORATIONS + UNIVERSITIES),
                job_title=rng.choice(["CTO", "Head of L&D", "Student", "Analyst", "Dean"]),
                source=source,
                source_detail=rng.choice(SOURCE_DETAILS[source]),
                status=status,
                score=rng.randrange(5, 96),
                firmographics=Firmographics(
                    company_size=rng.choice([10, 50, 200, 1000, 5000]),
                    industry=rng.choice(INDUSTRIES),
                    budget=Decimal(rng.randrange(1, 50) * 1000),
                ),
                engagement=Engagement(
                    page_views=rng.randrange(40),
                    downloads=rng.randrange(5),
                    email_opens=rng.randrange(20),
                    email_clicks=rng.randrange(8),
                    events_attended=rng.randrange(3),
                ),
                disqualify_reason="no budget" if status is LeadStatus.DISQUALIFIED else None,
                created_at=now - timedelta(days=rng.randrange(180)),
                updated_at=now,
            )
        )
    return out


def _deals(
    app: App,
    uow: UnitOfWork,
    rng: random.Random,
    n: int,
    accounts: list[Account],
    contacts: list[Contact],
    now: datetime,
    today: date,
) -> None:
    config = app.settings.deal_stages
    for i in range(n):
        account = accounts[i % len(accounts)]
        stage = rng.choices(
            [*OPEN_STAGES, DealStage.CLOSED_WON, DealStage.CLOSED_LOST],
            weights=[14, 14, 12, 12, 10, 8, 18, 12],
        )[0]
        deal = new_deal(
            app,
            title=f"{account.name}: {rng.choice(['licences', 'team plan', 'pilot', 'renewal'])}",
            amount=Money(Decimal(rng.randrange(20, 400) * 250), "USD"),
            account_id=account.id,
            contact_id=rng.choice(contacts).id if contacts else None,
            expected_close=today + timedelta(days=rng.randrange(-45, 90)),
            owner=rng.choice(["alice", "bob", "carol"]),
            metadata={"external_id": f"demo-{i:05d}"},
        )
        if stage is DealStage.CLOSED_LOST:
            reason = rng.choice(["budget cut", "chose a competitor"])
            moved = deal.lose(reason, at=now, config=config)
        elif stage is DealStage.LEAD:
            moved = None
        else:
            moved = deal.move_to(stage, at=now, config=config, skip_reason="demo data")
        final = deal if moved is None else moved.unwrap().entity
        uow.deals.add(final)
        uow.record(deal_created(final))


def _activities(
    app: App, uow: UnitOfWork, rng: random.Random, contacts: list[Contact], now: datetime
) -> None:
    for contact in contacts[: max(1, len(contacts) // 3)]:
        kind = rng.choice(list(ActivityType))
        due = now + timedelta(days=rng.randrange(-10, 10)) if kind is ActivityType.TASK else None
        uow.activities.add(
            Activity(
                id=ActivityId(app.ids.new()),
                type=kind,
                subject=f"{kind.value} with {contact.name.full}",
                contact_id=contact.id,
                actor=rng.choice(["alice", "bob", "carol"]),
                due_at=due,
                created_at=now - timedelta(days=rng.randrange(30)),
            )
        )


def lead_sources(app: App) -> Result[list[dict[str, Any]], AppError]:
    """Leads per source: count, qualified, converted, average score (the tour's table)."""

    def work(uow: UnitOfWork) -> Result[list[dict[str, Any]], AppError]:
        stats: dict[LeadSource, list[int]] = {s: [0, 0, 0, 0] for s in LeadSource}
        for lead in uow.leads.list():
            row = stats[lead.source]
            row[0] += 1
            row[1] += lead.status is LeadStatus.QUALIFIED
            row[2] += lead.status is LeadStatus.CONVERTED
            row[3] += lead.score
        return Success(
            [
                {
                    "source": s.value,
                    "leads": n,
                    "qualified": q,
                    "converted": c,
                    "avg_score": round(total / n, 1) if n else None,
                }
                for s, (n, q, c, total) in stats.items()
                if n
            ]
        )

    return transact(app, work)
