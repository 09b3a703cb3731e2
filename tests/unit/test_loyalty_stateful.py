"""A stateful test of the loyalty board through its use cases (memory adapters).

The model below knows the spec's ladder as plain Python predicates and keeps its own
facts, levels and holders; it never reads the board's TOML, transition code or WIP check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule
from returns.result import Failure, Success

from crmcore import Settings, bootstrap
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.loyalty.board import (
    CustomerImport,
    movements,
    open_card,
    override_card,
    place_all,
    record_facts,
    release_card,
    take_card,
)
from crmcore.app.loyalty.config import default_template, parse_board_toml
from crmcore.domain.loyalty import CardId
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.ports.uow import UnitOfWork
from tests.strategies import customer_facts, fact_changes

LEVELS = ["acquainted", "customer", "recommender", "regular", "partner", "advocate",
          "evangelist"]  # fmt: skip
WIP = 2
OWNERS = st.sampled_from(["olga", "ivan", "petr", "nina"])


def exit_holds(level: int, f: dict[str, Any]) -> bool:
    """The spec's exit metrics (PRODUCT.md C8), by level index."""
    checks: list[bool] = [
        f["purchases"] >= 1,
        f["referral_invites"] >= 1 or f["reviews"] >= 1,
        f["purchases"] >= 2 and f["referred_friends_converted"] >= 1,
        bool(f["partner_program"]),
        f["paying_customers_brought"] >= 3,
        f["advocacy"] >= 1 and f["last_nps"] is not None and f["last_nps"] >= 9,
    ]
    return checks[level]


def climb(start: int, f: dict[str, Any]) -> int:
    level = start
    while level < len(LEVELS) - 1 and exit_holds(level, f):
        level += 1
    return level


EMPTY: dict[str, Any] = {
    "purchases": 0, "referral_invites": 0, "reviews": 0, "referred_friends_converted": 0,
    "partner_program": False, "paying_customers_brought": 0, "advocacy": 0, "last_nps": None,
    "revenue": Decimal(0),
}  # fmt: skip
COUNTERS = {k for k, v in EMPTY.items() if isinstance(v, int | Decimal) and not isinstance(v, bool)}


class BoardMachine(RuleBasedStateMachine):
    customers = Bundle("customers")

    def __init__(self) -> None:
        super().__init__()
        board = parse_board_toml(default_template().replace("wip_limit = 10", f"wip_limit = {WIP}"))
        self.clock = FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        self.app = bootstrap(
            Settings(db_url="memory://", board=board.unwrap()),
            clock=self.clock,
            ids=SequentialIds(),
        )
        self.facts: dict[UUID, dict[str, Any]] = {}
        self.level: dict[UUID, int] = {}
        self.holder: dict[UUID, str | None] = {}
        self.serial = 0

    def _new_id(self) -> UUID:
        self.serial += 1
        return UUID(int=(7 << 120) + self.serial)

    def _cards(self) -> dict[UUID, Any]:
        uow: UnitOfWork
        with self.app.uow() as uow:
            return {c.id: c for c in uow.cards.list()}

    @rule(target=customers)
    def open(self) -> UUID:
        customer = self._new_id()
        made = open_card(self.app, customer=customer, name="C", first_interaction=date(2025, 5, 1))
        assert isinstance(made, Success)
        self.facts[customer], self.level[customer], self.holder[customer] = dict(EMPTY), 0, None
        return customer

    @rule(target=customers, facts=customer_facts())
    def import_and_place(self, facts: CustomerFacts) -> UUID:
        customer = self._new_id()
        row = CustomerImport(customer=customer, name="I", first_interaction=date(2025, 6, 1),
                             facts=facts)  # fmt: skip
        assert isinstance(place_all(self.app, imports=[row]), Success)
        self.facts[customer] = {k: getattr(facts, k) for k in EMPTY}
        self.holder[customer] = None
        self.level[customer] = climb(0, self.facts[customer])
        self._settle_all()
        return customer

    def _settle_all(self) -> None:
        """Placement re-evaluates every card from where it is."""
        for customer, start in self.level.items():
            end = climb(start, self.facts[customer])
            if end != start:
                self.level[customer], self.holder[customer] = end, None

    @rule(customer=customers, changes=fact_changes)
    def record(self, customer: UUID, changes: dict[str, Any]) -> None:
        done = record_facts(self.app, customer, **changes)
        assert isinstance(done, Success), done
        model = self.facts[customer]
        for key, value in changes.items():
            model[key] = model[key] + value if key in COUNTERS else value
        end = climb(self.level[customer], model)
        if end != self.level[customer]:
            self.level[customer], self.holder[customer] = end, None

    @rule(customer=customers, owner=OWNERS)
    def take(self, customer: UUID, owner: str) -> None:
        taken = take_card(self.app, CardId(customer), owner=owner)
        column = self.level[customer]
        busy = [
            c for c, h in self.holder.items() if h and c != customer and self.level[c] == column
        ]
        current = self.holder[customer]
        if current is not None and current != owner:
            assert isinstance(taken, Failure)
        elif current is None and len(busy) >= WIP:
            assert isinstance(taken, Failure)
            message = str(taken.failure())
            assert f"allows {WIP} active cards" in message
            assert all(str(self.holder[c]) in message for c in busy)
        else:
            assert isinstance(taken, Success), taken
            self.holder[customer] = owner

    @rule(customer=customers)
    def release(self, customer: UUID) -> None:
        released = release_card(self.app, CardId(customer))
        assert isinstance(released, Success) is (self.holder[customer] is not None)
        self.holder[customer] = None

    @rule(customer=customers, to=st.integers(0, len(LEVELS) - 1), reason=st.sampled_from(["", "x"]))
    def override(self, customer: UUID, to: int, reason: str) -> None:
        moved = override_card(self.app, CardId(customer), to=LEVELS[to], reason=reason)
        if not reason or to == self.level[customer]:
            assert isinstance(moved, Failure)
            return
        assert isinstance(moved, Success)
        self.level[customer], self.holder[customer] = to, None

    @rule()
    def place_twice(self) -> None:
        first = place_all(self.app)
        assert isinstance(first, Success)
        self._settle_all()
        before = {k: (c.level, c.version) for k, c in self._cards().items()}
        second = place_all(self.app)
        assert isinstance(second, Success)
        assert second.unwrap().moved == 0
        assert {k: (c.level, c.version) for k, c in self._cards().items()} == before

    @rule(days=st.integers(1, 30))
    def tick(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    @rule(customer=consumes(customers))
    def forget(self, customer: UUID) -> None:
        """Drop a customer from the bundle only (keeps the bundle small); nothing changes."""

    @invariant()
    def one_card_per_customer(self) -> None:
        assert set(self._cards()) == set(self.level)

    @invariant()
    def board_agrees_with_the_model(self) -> None:
        for customer, card in self._cards().items():
            assert card.level == LEVELS[self.level[customer]]
            assert card.holder == self.holder[customer]

    @invariant()
    def wip_never_exceeds_the_limit(self) -> None:
        active: dict[str, int] = {}
        for card in self._cards().values():
            if card.holder is not None:
                active[card.level] = active.get(card.level, 0) + 1
        assert all(n <= WIP for n in active.values())

    @invariant()
    def only_overrides_move_left(self) -> None:
        log = movements(self.app).unwrap()
        last: dict[UUID, str] = {}
        for move in log:
            if LEVELS.index(move.to_level) < LEVELS.index(move.from_level):
                assert move.cause == "override"
                assert move.override_reason
            assert last.get(move.card_id, move.from_level) == move.from_level
            last[move.card_id] = move.to_level


BoardMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestBoard = BoardMachine.TestCase
