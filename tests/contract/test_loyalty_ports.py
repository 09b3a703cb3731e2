"""Contract of the loyalty ports: every adapter of CardRepository, MoveLog and LoyaltyFacts
must pass this suite unchanged (add a fixture parameter per adapter)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import attrs
import pytest

from crmcore import Settings, bootstrap
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.loyalty_config import default_board
from crmcore.domain.loyalty import CardId, Move, new_card
from crmcore.domain.loyalty_metrics import CustomerFacts, facts_delta
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from crmcore.ports.uow import UnitOfWork

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Factory = Callable[[], UnitOfWork]


@pytest.fixture(params=["memory"])
def uow_factory(request: pytest.FixtureRequest) -> Factory:
    """A unit-of-work factory per adapter; SQL adapters add a parameter here."""
    assert request.param == "memory"
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds())
    return app.uow


def a_card(n: int, level: str = "acquainted") -> object:
    card = new_card(id=CardId(UUID(int=n)), name=f"C{n}", first_interaction=date(2025, 1, 1),
                    config=default_board(), at=T0)  # fmt: skip
    return attrs.evolve(card, level=level)


def test_cards_round_trip_and_filter(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        for n, level in ((2, "customer"), (1, "acquainted"), (3, "customer")):
            uow.cards.add(a_card(n, level))  # type: ignore[arg-type]
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
        uow.cards.add(a_card(1))  # type: ignore[arg-type]
        uow.commit()
    first, second = uow_factory(), uow_factory()
    with first, second:
        a, b = first.cards.get(CardId(UUID(int=1))), second.cards.get(CardId(UUID(int=1)))
        assert a is not None
        assert b is not None
        first.cards.save(attrs.evolve(a, holder="olga"))
        second.cards.save(attrs.evolve(b, holder="ivan"))
        first.commit()
        with pytest.raises(ConcurrentModification):
            second.commit()


def test_duplicate_card_is_refused(uow_factory: Factory) -> None:
    with uow_factory() as uow:
        uow.cards.add(a_card(1))  # type: ignore[arg-type]
        with pytest.raises(DuplicateKey):
            uow.cards.add(a_card(1))  # type: ignore[arg-type]


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


def test_facts_put_increment_list(uow_factory: Factory) -> None:
    one, two = UUID(int=1), UUID(int=2)
    delta = facts_delta({"purchases": 1, "partner_program": True}).unwrap()
    with uow_factory() as uow:
        assert uow.loyalty_facts.get(one) is None
        uow.loyalty_facts.put(two, CustomerFacts(reviews=2))
        assert uow.loyalty_facts.increment(one, delta).purchases == 1
        uow.commit()
    with uow_factory() as uow:
        after = uow.loyalty_facts.increment(one, delta)
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
        first.loyalty_facts.increment(customer, delta)
        second.loyalty_facts.increment(customer, delta)
        first.commit()
        with pytest.raises(ConcurrentModification):
            second.commit()
    with uow_factory() as uow:
        stored = uow.loyalty_facts.get(customer)
        assert stored is not None
        assert stored.purchases == 1
