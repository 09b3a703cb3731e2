"""The loyalty board (C8) pinned: the WIP limit on, below and above its line (default 10 active
cards per column), taking and releasing with their events, the stuck report by a worked example.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from returns.result import Failure

from crmcore.domain.errors import RuleViolation
from crmcore.domain.events import Changed
from crmcore.domain.loyalty import (
    DEFAULT_WIP_LIMIT,
    BoardConfig,
    Card,
    CardId,
    CardMoved,
    CardReleased,
    CardTaken,
    Level,
    Stuck,
    override_move,
    parse_board,
    release,
    stuck_report,
    take,
)
from tests.conftest import T0

BOARD = BoardConfig(
    levels=(
        Level(key="acquainted", name="Acquainted", exit=None, playbook="welcome call"),
        Level(key="customer", name="Customer", exit=None, wip_limit=2, playbook="ask for a review"),
        Level(key="recommender", name="Recommender", exit=None),
    )
)


def card(n: int, level: str = "acquainted", holder: str | None = None, days_in: float = 0) -> Card:
    return Card(
        id=CardId(UUID(int=n)),
        name=f"customer {n:02d}",
        first_interaction=date(2026, 1, 1),
        level=level,
        entered_at=T0 - timedelta(days=days_in),
        holder=holder,
        taken_at=None if holder is None else T0,
        created_at=T0,
        updated_at=T0,
    )


def held(count: int, level: str = "acquainted") -> list[Card]:
    return [card(100 + i, level, holder=f"rep{i}") for i in range(count)]


@pytest.mark.parametrize(("active", "allowed"), [(8, True), (9, True), (10, False), (11, False)])
def test_the_default_wip_limit_is_10_active_cards_per_column(active: int, allowed: bool) -> None:
    assert DEFAULT_WIP_LIMIT == 10
    result = take(card(1), "ann", held(active), BOARD, at=T0)
    if allowed:
        taken = result.unwrap()
        assert (taken.entity.holder, taken.entity.taken_at, taken.entity.updated_at) == (
            "ann",
            T0,
            T0,
        )
        assert taken.events == (
            CardTaken(card_id=CardId(UUID(int=1)), level="acquainted", owner="ann"),
        )
    else:
        assert isinstance(result, Failure)
        assert result.failure().rule == "WIP limit"
        assert result.failure().detail.startswith(
            "column acquainted allows 10 active cards; held by: "
        )


def test_a_column_limit_counts_only_its_own_active_cards() -> None:
    others = [
        card(10, "customer", holder="bob"),
        card(11, "customer"),  # not taken: not active
        card(12, "acquainted", holder="cy"),  # another column
        card(1, "customer", holder=None),  # the card itself
    ]
    assert take(card(1, "customer"), "ann", others, BOARD, at=T0).unwrap().entity.holder == "ann"
    full = [*others, card(13, "customer", holder="al")]
    assert take(card(1, "customer"), "ann", full, BOARD, at=T0) == Failure(
        RuleViolation(
            rule="WIP limit",
            detail="column customer allows 2 active cards; "
            "held by: al (customer 13), bob (customer 10)",
        )
    )


def test_taking_needs_an_owner_and_a_free_card() -> None:
    assert take(card(1), "  ", [], BOARD, at=T0) == Failure(
        RuleViolation(rule="owner", detail="taking a card needs an owner")
    )
    mine = card(1, holder="ann")
    assert take(mine, " ann ", [], BOARD, at=T0).unwrap() == Changed(mine)
    assert take(mine, "bob", [], BOARD, at=T0) == Failure(
        RuleViolation(rule="card taken", detail="customer 01 is held by ann")
    )


def test_a_card_in_an_unknown_column_cannot_be_taken() -> None:
    result = take(card(1, "gone"), "ann", [], BOARD, at=T0)
    assert isinstance(result, Failure)
    assert result.failure().detail == "column gone allows 0 active cards; held by: "


def test_releasing_frees_the_card_and_says_who_had_it() -> None:
    later = T0 + timedelta(hours=2)
    released = release(card(1, holder="ann"), at=later).unwrap()
    assert (released.entity.holder, released.entity.taken_at, released.entity.updated_at) == (
        None,
        None,
        later,
    )
    assert released.events == (
        CardReleased(
            card_id=CardId(UUID(int=1)), level="acquainted", owner="ann", reason="released"
        ),
    )
    assert release(card(1), at=later) == Failure(
        RuleViolation(rule="release", detail="customer 01 is not taken")
    )


def test_the_stuck_report_worked_out() -> None:
    cards = [
        card(1, "acquainted", days_in=1),
        card(2, "acquainted", days_in=3),
        card(3, "acquainted", days_in=2),
        card(4, "acquainted", days_in=10),
        card(5, "customer", days_in=0.5),
        card(6, "customer", days_in=-1),  # entered "after now": waits 0 days
        card(7, "recommender", days_in=40),  # the top column has no transition
        card(8, "gone", days_in=5),  # not a level of this board
    ]
    assert stuck_report(cards, BOARD, now=T0) == [
        # waits 1, 2, 3, 10: median (2 + 3) / 2; p90 inclusive: 3 + 0.7·(10 − 3) = 7.9
        Stuck(
            from_level="acquainted",
            to_level="customer",
            waiting=4,
            median_days=2.5,
            p90_days=pytest.approx(7.9),  # type: ignore[arg-type]
            exit="",
            playbook="welcome call",
        ),
        # waits 0 and 0.5: median 0.25; p90 0 + 0.9·0.5 = 0.45
        Stuck(
            from_level="customer",
            to_level="recommender",
            waiting=2,
            median_days=0.25,
            p90_days=pytest.approx(0.45),  # type: ignore[arg-type]
            exit="",
            playbook="ask for a review",
        ),
    ]


def test_one_waiting_card_is_its_own_median_and_p90_and_none_is_none() -> None:
    (first, second) = stuck_report([card(1, days_in=4)], BOARD, now=T0)
    assert (first.waiting, first.median_days, first.p90_days) == (1, 4.0, 4.0)
    assert (second.waiting, second.median_days, second.p90_days) == (0, None, None)


# --- the board's configuration: every error names the level and the field ---------------------

EXIT = {"field": "purchases", "op": "ge", "value": 1}


def errors_of(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    parsed = parse_board(data)
    assert isinstance(parsed, Failure)
    return [(e.field, e.value, e.reason) for e in parsed.failure().errors]


def test_a_board_parses_with_defaults_and_overrides() -> None:
    data = {
        "board": {"wip_limit": 3, "target": 50},
        "levels": [
            {"key": "first", "name": " First ", "exit": EXIT, "playbook": " call them "},
            {"key": "top", "wip_limit": 1, "target": 7},
        ],
    }
    board = parse_board(data).unwrap()
    first, top = board.levels
    assert (first.key, first.name, first.wip_limit, first.target, first.playbook) == (
        "first",
        "First",
        3,
        50,
        "call them",
    )
    assert first.exit is not None
    assert first.exit.describe() == "purchases >= 1"
    assert (top.key, top.name, top.exit, top.wip_limit, top.target, top.playbook) == (
        "top",
        "top",  # the name defaults to the key
        None,
        1,
        7,
        "",
    )
    defaults = parse_board({"levels": [{"key": "a", "exit": EXIT}, {"key": "top"}]}).unwrap()
    assert (defaults.levels[1].wip_limit, defaults.levels[1].target) == (10, 100)


def test_sections_and_board_keys_are_checked() -> None:
    levels = [{"key": "a", "exit": EXIT}, {"key": "b"}]
    assert errors_of({"levels": levels, "zeta": 1, "alpha": 2, "board": {"size": 1}}) == [
        ("alpha", "", "unknown section; use board, levels"),
        ("zeta", "", "unknown section; use board, levels"),
        ("board.size", "", "unknown key; use wip_limit, target"),
    ]
    assert errors_of({"levels": levels, "board": 5}) == [("board", "5", "must be a table")]
    assert errors_of({"levels": levels, "board": {"wip_limit": 0, "target": True}}) == [
        ("board.wip_limit", "0", "must be a whole number >= 1"),
        ("board.target", "True", "must be a whole number >= 1"),
    ]


@pytest.mark.parametrize("levels", [None, "x", [{"key": "only"}]])
def test_at_least_two_levels(levels: object) -> None:
    assert errors_of({"levels": levels}) == [
        ("levels", str(levels), "must list at least two [[levels]]")
    ]


def test_level_errors_name_the_level_and_the_field() -> None:
    known = "exit, key, name, playbook, target, wip_limit"
    data = {
        "levels": [
            "not a table",
            {"key": "a b", "exit": EXIT},
            {"key": "dup", "exit": EXIT, "color": "red", "name": " ", "playbook": 3},
            {"key": "dup", "exit": EXIT, "wip_limit": 1.5, "target": -1},
            {"key": "no_exit"},
            {"exit": EXIT},
            {"key": "top", "exit": EXIT},
        ]
    }
    assert errors_of(data) == [
        ("levels[1]", "not a table", "must be a table"),
        ("levels[2] a b.key", "a b", "required: letters, digits, _"),
        ("levels[3] dup.color", "", f"unknown key; use {known}"),
        ("levels[3] dup.name", " ", "must be text"),
        ("levels[3] dup.playbook", "3", "must be text"),
        ("levels[4] dup.key", "dup", "duplicate level key"),
        ("levels[4] dup.wip_limit", "1.5", "must be a whole number >= 1"),
        ("levels[4] dup.target", "-1", "must be a whole number >= 1"),
        ("levels[5] no_exit.exit", "", "required on every level but the top"),
        ("levels[6].key", "None", "required: letters, digits, _"),
        ("levels[6].name", "None", "must be text"),
        ("levels[7] top.exit", "", "the top level has no exit"),
    ]


def test_a_bad_exit_metric_is_reported_under_its_level() -> None:
    data = {
        "levels": [{"key": "a", "exit": {"field": "nope", "op": "ge", "value": 1}}, {"key": "b"}]
    }
    (error,) = errors_of(data)
    assert error[0].startswith("levels[1] a.exit")


def test_a_level_key_may_hold_underscores_and_digits() -> None:
    board = parse_board({"levels": [{"key": "lvl_1", "exit": EXIT}, {"key": "top"}]}).unwrap()
    assert board.keys == ("lvl_1", "top")
    assert (board.first.key, board.index("top"), board.level("top").key) == ("lvl_1", 1, "top")
    assert board.has("top")
    assert not board.has("x")


def test_an_override_needs_a_reason_and_a_known_other_level() -> None:
    at = T0 + timedelta(hours=1)
    moved = override_move(
        card(1, "customer", holder="ann"), "acquainted", BOARD, at=at, reason=" went quiet "
    )
    changed = moved.unwrap()
    assert changed.events == (
        CardMoved(
            card_id=CardId(UUID(int=1)),
            from_level="customer",
            to_level="acquainted",
            cause="override",
            override_reason="went quiet",
        ),
        CardReleased(card_id=CardId(UUID(int=1)), level="customer", owner="ann", reason="moved"),
    )
    assert (changed.entity.level, changed.entity.entered_at, changed.entity.holder) == (
        "acquainted",
        at,
        None,
    )
    assert override_move(card(1), "customer", BOARD, at=at, reason=" ") == Failure(
        RuleViolation(rule="override reason", detail="an override needs a reason")
    )
    assert override_move(card(1), "vip", BOARD, at=at, reason="x") == Failure(
        RuleViolation(
            rule="unknown level", detail="'vip'; levels are acquainted, customer, recommender"
        )
    )
    assert override_move(card(1), "acquainted", BOARD, at=at, reason="x") == Failure(
        RuleViolation(rule="override", detail="the card is already in acquainted")
    )
