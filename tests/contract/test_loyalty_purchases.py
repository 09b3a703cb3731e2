"""Imported purchases update the customer's loyalty facts and move their card in the same
unit of work, on every backend; re-importing adds nothing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from returns.result import Success

from crmcore.app.context import App
from crmcore.app.importing.transactions import TransactionRow, import_transactions, parse_row
from crmcore.app.loyalty.board import board_view, movements
from crmcore.domain.loyalty import CardId

CSV = """customer_id,occurred_at,amount,transaction_id,kind
u1,2025-03-02T10:00:00Z,40.00,t1,
u1,2025-01-15,60.50,t2,purchase
u2,2025-02-01,15.00,t3,
u2,2025-02-03,15.00,t4,refund
"""


def _import(app: App, text: str) -> None:
    records = enumerate(csv.DictReader(io.StringIO(text)), start=2)
    parsed = [parse_row(line, record, default_currency="EUR") for line, record in records]
    rows = [row for row in parsed if isinstance(row, TransactionRow)]
    assert len(rows) == len(parsed), parsed
    assert isinstance(import_transactions(app, rows), Success)


def _facts(app: App) -> dict[str, tuple[int, Decimal, date | None, date | None, str]]:
    out = {}
    with app.uow() as uow:
        for customer, facts in uow.loyalty_facts.list():
            contact = uow.contacts.get(customer)  # type: ignore[arg-type]
            card = uow.cards.get(CardId(customer))
            assert contact is not None
            assert card is not None
            assert contact.user_id is not None
            out[contact.user_id] = (
                facts.purchases,
                facts.revenue,
                facts.first_interaction,
                facts.last_purchase,
                card.level,
            )
    return out


def test_imported_purchases_become_facts_and_move_cards(backend_app: App) -> None:
    _import(backend_app, CSV)
    assert _facts(backend_app) == {
        "u1": (2, Decimal("100.50"), date(2025, 1, 15), date(2025, 3, 2), "customer"),
        # a refund is no purchase and takes nothing off the revenue
        "u2": (1, Decimal("15.00"), date(2025, 2, 1), date(2025, 2, 1), "customer"),
    }
    view = board_view(backend_app)
    assert isinstance(view, Success)
    columns = {c.key: (c.cards, c.revenue) for c in view.unwrap().columns}
    assert columns["customer"] == (2, Decimal("115.50"))
    moved = movements(backend_app)
    assert isinstance(moved, Success)
    assert [(m.from_level, m.to_level, m.cause) for m in moved.unwrap()] == [
        ("acquainted", "customer", "facts")
    ] * 2


def test_reimporting_adds_nothing_and_new_purchases_add_up(backend_app: App) -> None:
    _import(backend_app, CSV)
    before = _facts(backend_app)
    _import(backend_app, CSV)
    assert _facts(backend_app) == before
    _import(backend_app, "customer_id,occurred_at,amount,transaction_id\nu1,2024-12-01,9.50,t9\n")
    purchases, revenue, first, last, level = _facts(backend_app)["u1"]
    assert (purchases, revenue, first, last) == (
        3,
        Decimal("110.00"),
        date(2024, 12, 1),  # an earlier purchase moves the first interaction back
        date(2025, 3, 2),  # but not the last purchase
    )
    assert level == "customer"
