"""Contract of the loyalty ports: every adapter of CardRepository, MoveLog and LoyaltyFacts
(memory, SQLite, PostgreSQL through the ``backend`` fixture) passes this suite unchanged."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from crmcore.app.loyalty.config import default_board
from crmcore.domain.loyalty import Card, CardId, CustomerKind, Move, new_card
from crmcore.domain.loyalty_metrics import CustomerFacts, FactsDelta, facts_delta
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Factory = Callable[[], UnitOfWork]


@pytest.fixture
def uow_factory(backend: Backend) -> Factory:
    """A unit-of-work factory of each backend, on an empty store."""
    return backend.uow


def a_card(n: int, level: str = "acquainted") -> Card:
    card = new_card(id=CardId(UUID(int=n)), name=f"C{n}", first_interaction=date(2025, 1, 1),
                    config=default_board(), at=T0)  # fmt: skip
    return attrs.evolve(card, level=level)


def _then_commit(uow: UnitOfWork, write: Callable[[], object]) -> None:
    write()
    uow.commit()


def test_cards_round_trip_and_filter(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        for n, level in ((2, "customer"), (1, "acquainted"), (3, "customer")):
            uow.cards.add(a_card(n, level))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.cards.get(CardId(UUID(int=1)))
        assert stored is not None
        assert stored.version == 1
        assert [c.id.int for c in uow.cards.list(level="customer")] == [2, 3]
        uow.cards.save(attrs.evolve(stored, holder="olga"))
        uow.commit()
    with uow_factory() as uow:
        assert [c.holder for c in uow.cards.list(active_only=True)] == ["olga"]
        assert uow.cards.get(CardId(UUID(int=9))) is None


def test_cards_conflict_on_concurrent_change(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.cards.add(a_card(1))
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        a, b = first.cards.get(CardId(UUID(int=1))), second.cards.get(CardId(UUID(int=1)))
        assert a is not None
        assert b is not None
        first.cards.save(attrs.evolve(a, holder="olga"))
        first.commit()
        with pytest.raises(ConcurrentModification):  # SQL at the save, memory at commit
            _then_commit(second, lambda: second.cards.save(attrs.evolve(b, holder="ivan")))
    with uow_factory() as uow:
        stored = uow.cards.get(CardId(UUID(int=1)))
        assert stored is not None
        assert (stored.holder, stored.version) == ("olga", 2)


def test_duplicate_card_is_refused(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.cards.add(a_card(1))
        with pytest.raises(DuplicateKey):
            uow.cards.add(a_card(1))


def test_move_log_is_ordered_and_filtered(uow_factory: Factory) -> None:
    def move(n: int, card: int, hours: int) -> Move:
        return Move(id=UUID(int=100 + n), card_id=CardId(UUID(int=card)), from_level="a",
                    to_level="b", at=T0 + timedelta(hours=hours), cause="facts")  # fmt: skip

    with uow_factory() as uow:
        uow.card_moves.append([move(1, 1, 5), move(2, 2, 1), move(3, 1, 3)])
        uow.commit()
    with uow_factory() as uow:
        assert [m.id.int - 100 for m in uow.card_moves.list()] == [2, 3, 1]
        assert [m.id.int - 100 for m in uow.card_moves.list(card_id=CardId(UUID(int=1)))] == [3, 1]
        since = uow.card_moves.list(since=T0 + timedelta(hours=3))
        assert [m.id.int - 100 for m in since] == [3, 1]


def _increment(uow: UnitOfWork, customer: UUID, delta: FactsDelta) -> CustomerFacts:
    """The customer's facts (empty when none) with ``delta`` applied, stored."""
    facts = (uow.loyalty_facts.get(customer) or CustomerFacts()).apply(delta)
    uow.loyalty_facts.put(customer, facts)
    return facts


def test_facts_put_get_list(uow_factory: Factory) -> None:
    one, two = UUID(int=1), UUID(int=2)
    delta = facts_delta({"purchases": 1, "partner_program": True}).unwrap()
    with uow_factory() as uow:
        assert uow.loyalty_facts.get(one) is None
        uow.loyalty_facts.put(two, CustomerFacts(reviews=2))
        assert _increment(uow, one, delta).purchases == 1
        uow.commit()
    with uow_factory() as uow:
        after = _increment(uow, one, delta)
        assert (after.purchases, after.partner_program) == (2, True)
        uow.commit()
    with uow_factory() as uow:
        assert [(k.int, f.purchases, f.reviews) for k, f in uow.loyalty_facts.list()] == [
            (1, 2, 0),
            (2, 0, 2),
        ]


def test_concurrent_increments_never_lose_a_count(uow_factory: Factory) -> None:
    customer = UUID(int=1)
    delta = facts_delta({"purchases": 1}).unwrap()
    with uow_factory() as uow:
        uow.loyalty_facts.put(customer, CustomerFacts())
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        assert second.loyalty_facts.get(customer) == CustomerFacts()
        _increment(first, customer, delta)
        first.commit()
        with pytest.raises(ConcurrentModification):
            _then_commit(second, lambda: _increment(second, customer, delta))
    with uow_factory() as uow:
        stored = uow.loyalty_facts.get(customer)
        assert stored is not None
        assert stored.purchases == 1


def test_facts_round_trip_every_field(uow_factory: Factory) -> None:
    facts = CustomerFacts(
        purchases=3, revenue=Decimal("1234.56"), referral_invites=1, reviews=2,
        referred_friends_converted=1, partner_program=True, paying_customers_brought=4,
        advocacy=1, form_answers=2, last_nps=9, first_interaction=date(2024, 2, 29),
        last_purchase=date(2025, 12, 31), tags=frozenset({"vip", "b2b"}),
    )  # fmt: skip
    with uow_factory() as uow:
        uow.loyalty_facts.put(UUID(int=5), facts)
        uow.loyalty_facts.put(UUID(int=5), attrs.evolve(facts, reviews=3))
        uow.commit()
    with uow_factory() as uow:
        assert uow.loyalty_facts.get(UUID(int=5)) == attrs.evolve(facts, reviews=3)


def test_cards_round_trip_every_field(uow_factory: Factory) -> None:
    card = attrs.evolve(
        a_card(4, "partner"), contact="ann@example.com", kind=CustomerKind.ACCOUNT,
        holder="olga", taken_at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    with uow_factory() as uow:
        uow.cards.add(card)
        uow.commit()
    with uow_factory() as uow:
        assert uow.cards.get(CardId(UUID(int=4))) == attrs.evolve(card, version=1)


def test_column_versions_rise_and_a_stale_bump_conflicts(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        fresh = uow.cards.column_version("customer")
        uow.cards.bump_column("customer", fresh)
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        read_first = first.cards.column_version("customer")
        read_second = second.cards.column_version("customer")
        assert read_first == read_second > fresh
        first.cards.bump_column("customer", read_first)
        first.commit()
        with pytest.raises(ConcurrentModification):
            _then_commit(second, lambda: second.cards.bump_column("customer", read_second))
    with uow_factory() as uow:
        assert uow.cards.column_version("customer") == read_first + 1


def test_facts_read_as_missing_are_inserted_once_then_updated(uow_factory: Factory) -> None:
    one, two = UUID(int=1), UUID(int=2)
    with uow_factory() as uow:
        uow.loyalty_facts.put(two, CustomerFacts(reviews=1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.loyalty_facts.get_many([one, two]) == {two: CustomerFacts(reviews=1)}
        uow.loyalty_facts.put_many({one: CustomerFacts(purchases=1), two: CustomerFacts()})
        uow.loyalty_facts.put_many({one: CustomerFacts(purchases=2)})
        uow.commit()
    with uow_factory() as uow:
        assert uow.loyalty_facts.get_many([one, two]) == {
            one: CustomerFacts(purchases=2),
            two: CustomerFacts(),
        }


def test_facts_read_as_missing_but_inserted_meanwhile_stay_one_row(
    uow_factory: Factory,
) -> None:
    customer = UUID(int=1)
    first, second = uow_factory(), uow_factory()
    with first, second:
        assert first.loyalty_facts.get_many([customer]) == {}
        second.loyalty_facts.put_many({customer: CustomerFacts(reviews=1)})
        second.commit()
        # SQL refuses the insert (the key is taken); memory writes over the row
        with contextlib.suppress(ConcurrentModification, DuplicateKey):
            _then_commit(
                first,
                lambda: first.loyalty_facts.put_many({customer: CustomerFacts(purchases=1)}),
            )
    with uow_factory() as uow:
        assert [k for k, _ in uow.loyalty_facts.list()] == [customer]
