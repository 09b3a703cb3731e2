"""Memory applications seeded with purchase data for the CLV use-case and CLI tests.

Rows go straight into the fake's committed tables (the memory repository's per-row unique
checks make a 7,000-row import quadratic; the import path is tested on small data).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import attrs

from crmcore.adapters.clv import NumpyClvModel
from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import wire
from crmcore.app.context import App, Settings
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.transaction import Transaction, TransactionId

DATA = Path(__file__).resolve().parents[2] / "data"
CDNOW_CALIBRATION_END = date(1997, 9, 30)
#: Published BG/NBD estimates on the CDNOW calibration period (Fader, Hardie & Lee 2005).
CDNOW_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

Purchase = tuple[str, datetime, Decimal]


def cdnow_purchases() -> list[Purchase]:
    """The CDNOW sample: (customer id, day, value), 6,919 purchases of 2,357 customers."""
    rows: list[Purchase] = []
    for line in (DATA / "cdnow_sample.txt").read_text().splitlines():
        _, customer, day, _, value = line.split()
        at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
        rows.append((customer, at, Decimal(value)))
    return rows


@attrs.define
class Seeded:
    """A memory application and its database."""

    app: App
    db: MemoryDatabase
    clock: FixedClock
    publisher: MemoryPublisher
    contacts: dict[str, ContactId]


def seeded_app(purchases: Iterable[Purchase], *, now: datetime) -> Seeded:
    """A memory app (NumPy CLV model) whose store holds ``purchases`` and their customers."""
    db, clock, ids = MemoryDatabase(), FixedClock(now), SequentialIds(seed=11)
    publisher = MemoryPublisher()
    contacts: dict[str, ContactId] = {}
    for n, (customer, at, value) in enumerate(purchases):
        if customer not in contacts:
            contact = Contact(
                id=ContactId(ids.new()),
                name=PersonName(customer, ""),
                user_id=customer,
                lifecycle=LifecycleStage.CUSTOMER,
                created_at=now,
                updated_at=now,
                version=1,
            )
            db.table("contacts")[contact.id] = contact
            contacts[customer] = contact.id
        tx = Transaction(
            id=TransactionId(ids.new()),
            customer=contacts[customer],
            occurred_at=at,
            amount=Money(value, "USD"),
            external_id=f"seed-{n}",
            version=1,
        )
        db.table("transactions")[tx.id] = tx
    app = attrs.evolve(
        wire(
            lambda: MemoryEventUnitOfWork(db, clock=clock, ids=ids),
            clock=clock,
            ids=ids,
            publisher=publisher,
            settings=Settings(db_url="memory://"),
            single_writer=True,
        ),
        clv_model=NumpyClvModel(),
    )
    return Seeded(app=app, db=db, clock=clock, publisher=publisher, contacts=contacts)
