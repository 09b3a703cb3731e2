"""Loyalty board use cases on memory adapters."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from returns.result import Failure, Success

from crmcore import App, InvalidInput, NotFound
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock
from crmcore.app.events.outbox import relay_outbox
from crmcore.app.loyalty.board import (
    board_cards,
    board_view,
    cohort_revenue,
    movements,
    open_card,
    override_card,
    place_all,
    record_facts,
    stuck_report,
    take_card,
)
from crmcore.app.loyalty.config import default_board
from crmcore.app.loyalty.demo import DEMO_LEVELS, seed_board
from crmcore.app.sales.leads import capture_lead, convert_lead, qualify_lead
from crmcore.domain.loyalty import Card, CardId

CUSTOMER = UUID(int=42)


def test_facts_move_the_card_automatically_and_are_logged(
    app: App, clock: FixedClock, publisher: MemoryPublisher
) -> None:
    assert isinstance(
        open_card(app, customer=CUSTOMER, name="Anna", first_interaction=date(2025, 12, 1)),
        Success,
    )
    clock.advance(timedelta(days=3))
    first = record_facts(app, CUSTOMER, purchases=1, revenue="120.00").unwrap()
    assert first.card.level == "customer"
    both = record_facts(app, CUSTOMER, reviews=1, purchases=1, referred_friends_converted=1)
    assert both.unwrap().card.level == "regular"  # as far right as the metrics allow
    log = movements(app).unwrap()
    assert [(m.from_level, m.to_level, m.cause) for m in log] == [
        ("acquainted", "customer", "facts"),
        ("customer", "regular", "facts"),
    ]
    relay_outbox(app)
    assert publisher.types().count("crm.loyalty.card_moved") == 2


def test_record_facts_opens_the_card_of_a_known_contact(app: App) -> None:
    lead = capture_lead(app, email="anna@example.com", first_name="Anna", source="organic")
    qualify_lead(app, lead.unwrap().id, fit="good", budget="ok", timeline="Q1")
    conversion = convert_lead(app, lead.unwrap().id).unwrap()
    contact_id = conversion.contact.id
    update = record_facts(app, contact_id, purchases=2).unwrap()
    assert update.card.name == "Anna"
    assert update.card.contact == "anna@example.com"
    assert update.card.level == "customer"


def test_bad_facts_and_unknown_customers_are_clear_errors(app: App) -> None:
    bad = record_facts(app, CUSTOMER, purchases="many", colour="red")
    assert isinstance(bad, Failure)
    error = bad.failure()
    assert isinstance(error, InvalidInput)
    assert {e.field for e in error.errors} == {"purchases", "colour"}
    unknown = record_facts(app, CUSTOMER, purchases=1)
    assert isinstance(unknown, Failure)
    assert isinstance(unknown.failure(), NotFound)


def test_override_left_is_recorded_with_its_reason(app: App) -> None:
    open_card(app, customer=CUSTOMER, name="Anna", first_interaction=date(2025, 1, 1))
    record_facts(app, CUSTOMER, purchases=1)
    card = override_card(app, CardId(CUSTOMER), to="acquainted", reason="refunded").unwrap()
    assert card.level == "acquainted"
    last = movements(app).unwrap()[-1]
    assert (last.cause, last.override_reason) == ("override", "refunded")


def test_demo_seed_resembles_the_article(app: App) -> None:
    placed = seed_board(app, random.Random(7)).unwrap()
    assert placed.opened == sum(DEMO_LEVELS.values())
    view = board_view(app).unwrap()
    counts = {c.key: c.cards for c in view.columns}
    assert counts == DEMO_LEVELS
    assert counts["recommender"] == 112
    assert counts["advocate"] == 12
    again = place_all(app).unwrap()
    assert again.moved == 0


def test_take_refuses_beyond_the_limit_and_names_holders(app: App) -> None:
    seed_board(app, random.Random(1))
    cards = [c for c in _cards(app) if c.level == "acquainted"]
    for n, card in enumerate(cards[:10]):
        assert isinstance(take_card(app, card.id, owner=f"rep{n}"), Success)
    refused = take_card(app, cards[10].id, owner="late")
    assert isinstance(refused, Failure)
    assert "allows 10 active cards" in str(refused.failure())
    assert "rep9" in str(refused.failure())


def test_reports(app: App, clock: FixedClock) -> None:
    seed_board(app, random.Random(3))
    clock.advance(timedelta(days=10))
    rows = stuck_report(app).unwrap()
    assert rows[0].waiting == DEMO_LEVELS["acquainted"]
    assert rows[0].median_days == 10
    cohorts = cohort_revenue(app).unwrap()
    assert sum(r.customers for r in cohorts) == sum(DEMO_LEVELS.values())
    total = sum((c.revenue for c in board_view(app).unwrap().columns), Decimal(0))
    assert sum((r.revenue for r in cohorts), Decimal(0)) == total > 0


def _cards(app: App) -> list[Card]:
    with app.uow() as uow:
        return list(uow.cards.list())


def test_the_card_list_goes_left_to_right_longest_waiting_first(app: App) -> None:
    seed_board(app, random.Random(2), levels={"acquainted": 3, "customer": 2}).unwrap()
    lines = board_cards(app).unwrap()
    assert [x.card.level for x in lines] == ["acquainted"] * 3 + ["customer"] * 2
    for level in ("acquainted", "customer"):
        waits = [x.days_in_level for x in lines if x.card.level == level]
        assert waits == sorted(waits, reverse=True)
    playbooks = {lv.key: lv.playbook for lv in default_board().levels}
    assert all(x.next_action == playbooks[x.card.level] for x in lines)
    only = board_cards(app, level="customer").unwrap()
    assert [x.card.id for x in only] == [x.card.id for x in lines[3:]]
    assert isinstance(board_cards(app, level="nope").failure(), NotFound)
