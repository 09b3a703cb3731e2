"""The loyalty board's domain rules: configuration, placement, moves, WIP, reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from returns.result import Failure, Success

from crmcore.app.loyalty.config import default_board, default_template, parse_board_toml
from crmcore.domain.loyalty import (
    BoardConfig,
    Card,
    CardId,
    CardMoved,
    CardReleased,
    CardTaken,
    advance,
    board_columns,
    cohort_revenue,
    new_card,
    override_move,
    place,
    place_card,
    release,
    stuck_report,
    take,
)
from crmcore.domain.loyalty_metrics import CustomerFacts
from tests.strategies import customer_facts

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BOARD = default_board()

# The spec's default ladder (PRODUCT.md C8), written as plain Python, independent of TOML.
SPEC_EXITS: list[Callable[[CustomerFacts], bool]] = [
    lambda f: f.purchases >= 1,
    lambda f: f.referral_invites >= 1 or f.reviews >= 1,
    lambda f: f.purchases >= 2 and f.referred_friends_converted >= 1,
    lambda f: f.partner_program,
    lambda f: f.paying_customers_brought >= 3,
    lambda f: f.advocacy >= 1 and f.last_nps is not None and f.last_nps >= 9,
]
SPEC_NAMES = ["Acquainted", "Customer", "Recommender", "Regular", "Partner", "Advocate",
              "Evangelist"]  # fmt: skip


def spec_level(facts: CustomerFacts, start: int = 0) -> int:
    level = start
    while level < len(SPEC_EXITS) and SPEC_EXITS[level](facts):
        level += 1
    return level


def card(n: int = 1, *, level: str = "acquainted", config: BoardConfig = BOARD) -> Card:
    fresh = new_card(
        id=CardId(UUID(int=n)), name=f"Customer {n}", first_interaction=date(2025, 1, n % 28 + 1),
        config=config, at=T0,
    )  # fmt: skip
    return attrs.evolve(fresh, level=level)


def test_default_template_is_the_spec() -> None:
    assert [lv.name for lv in BOARD.levels] == SPEC_NAMES
    assert all(lv.wip_limit == 10 and lv.target == 100 for lv in BOARD.levels)
    assert all(lv.playbook for lv in BOARD.levels[:-1])
    assert BOARD.levels[-1].exit is None
    assert "referral" in BOARD.level("customer").playbook.lower()
    assert "partner program" in BOARD.level("regular").playbook.lower()


@given(customer_facts())
def test_placement_matches_the_spec_ladder(facts: CustomerFacts) -> None:
    assert BOARD.index(place(facts, BOARD, now=T0)) == spec_level(facts)


@given(customer_facts(), customer_facts())
def test_advance_moves_right_as_far_as_metrics_allow(
    facts: CustomerFacts, other: CustomerFacts
) -> None:
    for start in range(len(BOARD.levels)):
        before = card(level=BOARD.keys[start])
        moved = advance(before, facts, BOARD, at=T0 + timedelta(days=1))
        after = BOARD.index(moved.entity.level)
        assert after == spec_level(facts, start)
        assert after >= start
        assert advance(moved.entity, facts, BOARD, at=T0).events == ()  # idempotent
        assert len([e for e in moved.events if isinstance(e, CardMoved)]) == (after > start)


@given(customer_facts())
def test_placement_is_idempotent_and_never_left(facts: CustomerFacts) -> None:
    for start in BOARD.keys:
        once = place_card(card(level=start), facts, BOARD, at=T0).entity
        twice = place_card(once, facts, BOARD, at=T0)
        assert twice.events == ()
        assert BOARD.index(once.level) >= BOARD.index(start)
        assert BOARD.index(once.level) >= spec_level(facts)


@given(customer_facts())
def test_a_placed_card_entered_its_column_at_the_facts_last_date(facts: CustomerFacts) -> None:
    moved = place_card(card(), facts, BOARD, at=T0)
    if not moved.events:
        return
    day = facts.last_purchase or facts.first_interaction
    midnight = None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)
    expected = T0 if midnight is None or midnight > T0 else midnight
    assert moved.entity.entered_at == expected
    assert moved.entity.updated_at == T0
    # a card the facts move live enters its column when it moves
    assert advance(card(), facts, BOARD, at=T0).entity.entered_at in (T0, card().entered_at)


def test_the_stuck_report_after_a_historic_import_counts_from_the_facts() -> None:
    facts = CustomerFacts(purchases=1, last_purchase=date(2025, 12, 6))
    placed = place_card(card(), facts, BOARD, at=T0).entity
    assert placed.level == "customer"
    (row,) = [r for r in stuck_report([placed], BOARD, now=T0) if r.from_level == "customer"]
    assert row.median_days == pytest.approx((T0 - datetime(2025, 12, 6, tzinfo=UTC)).days + 9 / 24)


def test_moving_releases_the_holder() -> None:
    held = take(card(), "olga", [], BOARD, at=T0).unwrap().entity
    moved = advance(held, CustomerFacts(purchases=1), BOARD, at=T0)
    assert moved.entity.level == "customer"
    assert moved.entity.holder is None
    assert [type(e) for e in moved.events] == [CardMoved, CardReleased]


def test_wip_limit_names_the_limit_and_the_holders() -> None:
    config = parse_board_toml(default_template().replace("wip_limit = 10", "wip_limit = 2"))
    assert isinstance(config, Success)
    board = config.unwrap()
    held = [
        take(card(n), owner, [], board, at=T0).unwrap().entity
        for n, owner in ((1, "olga"), (2, "ivan"))
    ]
    refused = take(card(3), "petr", held, board, at=T0)
    assert isinstance(refused, Failure)
    message = str(refused.failure())
    assert "allows 2 active cards" in message
    assert "ivan (Customer 2)" in message
    assert "olga (Customer 1)" in message
    elsewhere = take(card(4, level="customer"), "petr", held, board, at=T0)
    assert isinstance(elsewhere, Success)
    assert isinstance(elsewhere.unwrap().events[0], CardTaken)


def test_take_and_release_rules() -> None:
    mine = take(card(), "olga", [], BOARD, at=T0).unwrap().entity
    assert take(mine, "olga", [mine], BOARD, at=T0).unwrap().events == ()
    assert "held by olga" in str(take(mine, "ivan", [mine], BOARD, at=T0).failure())
    assert isinstance(take(card(), "  ", [], BOARD, at=T0), Failure)
    freed = release(mine, at=T0).unwrap()
    assert freed.entity.holder is None
    assert isinstance(release(freed.entity, at=T0), Failure)


def test_override_needs_a_reason_and_a_known_level() -> None:
    top = card(level="partner")
    assert "reason" in str(override_move(top, "customer", BOARD, at=T0, reason=" ").failure())
    assert "unknown level" in str(override_move(top, "vip", BOARD, at=T0, reason="x").failure())
    assert isinstance(override_move(top, "partner", BOARD, at=T0, reason="x"), Failure)
    left = override_move(top, "customer", BOARD, at=T0, reason="refund dispute").unwrap()
    event = left.events[0]
    assert isinstance(event, CardMoved)
    assert (event.from_level, event.to_level, event.cause) == ("partner", "customer", "override")
    assert event.override_reason == "refund dispute"


def test_stuck_report_median_p90_and_playbooks() -> None:
    waits = [1, 2, 3, 4, 10]
    cards = [
        attrs.evolve(card(n, level="customer"), entered_at=T0 - timedelta(days=d))
        for n, d in enumerate(waits, start=1)
    ]
    rows = stuck_report(cards, BOARD, now=T0)
    assert [r.from_level for r in rows] == list(BOARD.keys[:-1])
    row = rows[1]
    assert (row.from_level, row.to_level, row.waiting) == ("customer", "recommender", 5)
    assert row.median_days == 3
    assert row.p90_days == pytest.approx(7.6)
    assert "referral" in row.playbook.lower()
    assert rows[0].waiting == 0
    assert rows[0].median_days is None


def test_columns_and_cohort_revenue() -> None:
    cards = [card(1), card(2, level="customer"), attrs.evolve(card(3), holder="olga")]
    cards[1] = attrs.evolve(cards[1], first_interaction=date(2025, 2, 3))
    facts = {cards[0].id: CustomerFacts(revenue=Decimal(10)),
             cards[1].id: CustomerFacts(revenue=Decimal(5))}  # fmt: skip
    columns = board_columns(cards, facts, BOARD)
    assert [c.cards for c in columns] == [2, 1, 0, 0, 0, 0, 0]
    assert (columns[0].active, columns[0].holders, columns[0].revenue) == (
        1,
        ("olga",),
        Decimal(10),
    )
    assert columns[0].progress == pytest.approx(0.02)
    rows = cohort_revenue(cards, facts, BOARD)
    assert [(r.cohort, r.level, r.customers, r.revenue) for r in rows] == [
        ("2025-01", "acquainted", 2, Decimal(10)),
        ("2025-02", "customer", 1, Decimal(5)),
    ]


BAD_CONFIGS = [
    ('[[levels]]\nkey = "a"\n[levels.exit]\nfield = "purchases"\nop = "ge"\nvalue = 1\n',
     "levels: must list at least two"),
    (default_template().replace('field = "paying_customers_brought"', 'field = "brought"'),
     "levels[5] partner.exit.field: unknown field"),
    (default_template().replace('{field = "referred_friends_converted", op = "ge", value = 1}',
                                '{field = "referred_friends_converted", op = "ge", value = "one"}'),
     "levels[3] recommender.exit.and[1].value: must be a number"),
    (default_template().replace("wip_limit = 10", "wip_limit = 0"),
     "board.wip_limit: must be a whole number >= 1"),
    (default_template().replace('key = "regular"', 'key = "customer"'),
     "levels[4] customer.key: duplicate level key"),
    (default_template().replace('name = "Partner"', 'name = "Partner"\ncolour = "red"'),
     "levels[5] partner.colour: unknown key"),
    (default_template() + '[levels.exit]\nfield = "purchases"\nop = "ge"\nvalue = 9\n',
     "levels[7] evangelist.exit: the top level has no exit"),
    (default_template().replace('value = true', 'value = "yes"'),
     "levels[4] regular.exit.value: must be true or false"),
    ("[[levels]\n", "board: bad TOML"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_names_level_and_field(text: str, expected: str) -> None:
    parsed = parse_board_toml(text, source="board")
    assert isinstance(parsed, Failure)
    messages = [str(e) for e in parsed.failure().errors]
    assert any(expected in m for m in messages), messages
