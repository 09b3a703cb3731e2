"""The demo builder (issue 5): what it stores, how its generators behave, and re-runs."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore import App
from crmcore.app.demo.demo import DEMO_MARKER, SIZES, build_demo
from crmcore.app.demo.intel import (
    FEATURES,
    LEVEL_WEIGHTS,
    account_moods,
    health_facts,
    loyalty_values,
    purchase_rows,
)
from crmcore.app.errors import Conflict
from crmcore.app.intelligence.health import account_health_report, inputs_from
from crmcore.app.intelligence.segments import rfm_report
from crmcore.app.loyalty.board import board_view
from crmcore.app.loyalty.config import default_board
from crmcore.domain import loyalty as ladder
from crmcore.domain.account import Account, AccountType
from crmcore.domain.contact import Contact
from crmcore.domain.errors import InvalidInput
from crmcore.domain.health import HealthConfig, RiskLevel, assess
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.loyalty_metrics import CustomerFacts, FactsDelta
from crmcore.domain.names import PersonName
from tests.conftest import T0

SMALL = SIZES["small"]


def count_stored(app: App) -> dict[str, int]:
    with app.uow() as uow:
        contacts = uow.contacts.list()
        return {
            "accounts": len(uow.accounts.list()),
            "contacts": len(contacts),
            "leads": len(uow.leads.list()),
            "deals": len(uow.deals.list()),
            "transactions": sum(len(uow.transactions.list_for(c.id)) for c in contacts),
            "cards": len(uow.cards.list()),
            "moves": len(uow.card_moves.list()),
            "health": len(uow.health.latest_all()),
        }


def test_the_demo_stores_what_the_tour_reads(app: App) -> None:
    data = build_demo(app, seed=7, size="small").unwrap()
    assert (data.built, data.as_of) == (True, T0.date())
    stored = count_stored(app)
    assert stored["accounts"] == SMALL["accounts"] + 1  # and the marker
    assert stored["contacts"] == stored["cards"] == stored["health"] == SMALL["contacts"]
    assert stored["transactions"] == SMALL["transactions"]
    assert stored["leads"] == SMALL["leads"]
    assert stored["deals"] == SMALL["deals"]
    report = rfm_report(app, as_of=data.as_of).unwrap()
    assert 0 < report.customers <= SMALL["contacts"]
    view = board_view(app).unwrap()
    assert view.cards == SMALL["contacts"]
    assert sum(c.active for c in view.columns) > 0
    reds = account_health_report(app, config=HealthConfig(), risk=RiskLevel.RED).unwrap()
    assert reds
    assert all(r.score < 50 for r in reds)


def test_a_second_run_changes_nothing(app: App) -> None:
    build_demo(app, seed=7, size="small").unwrap()
    before = count_stored(app)
    with app.uow() as uow:
        outbox = len(uow.outbox.pending(limit=1_000_000))
    again = build_demo(app, seed=7, size="small").unwrap()
    assert again.built is False
    assert count_stored(app) == before
    with app.uow() as uow:
        assert len(uow.outbox.pending(limit=1_000_000)) == outbox


def test_another_seed_or_size_on_the_same_database_is_refused(app: App) -> None:
    build_demo(app, seed=7, size="small").unwrap()
    for seed, size in ((8, "small"), (7, "medium")):
        refused = build_demo(app, seed=seed, size=size)
        assert isinstance(refused, Failure)
        error = refused.failure()
        assert isinstance(error, Conflict)
        assert "seed 7, size small" in str(error)
    with app.uow() as uow:
        marker = uow.accounts.find_by_name(DEMO_MARKER)
        assert marker is not None
        assert marker.attributes["seed"] == 7


def test_an_unknown_size_names_the_field(app: App) -> None:
    refused = build_demo(app, seed=7, size="huge")
    assert isinstance(refused, Failure)
    error = refused.failure()
    assert isinstance(error, InvalidInput)
    assert error.errors[0].field == "size"
    assert "small, medium, large" in error.errors[0].reason


def _contacts(n: int) -> list[Contact]:
    return [
        Contact(
            id=_uuid(i),
            name=PersonName("P", str(i)),
            user_id=f"user-{i:05d}",
            created_at=T0,
            updated_at=T0,
        )
        for i in range(n)
    ]


def _uuid(i: int) -> ContactId:
    return ContactId(UUID(int=i + 1))


@given(seed=st.integers(0, 2**31), n=st.integers(1, 500), people=st.integers(1, 80))
@example(seed=0, n=1, people=1)
def test_purchases_are_keyed_sorted_and_in_the_last_year(seed: int, n: int, people: int) -> None:
    rows = purchase_rows(random.Random(seed), 7, _contacts(people), n, T0)
    assert len(rows) == n
    assert len({r.external_id for r in rows}) == n
    assert all(r.external_id.startswith("demo-7-") for r in rows)
    assert [r.occurred_at for r in rows] == sorted(r.occurred_at for r in rows)
    assert all(T0 - timedelta(days=366) < r.occurred_at <= T0 for r in rows)
    assert all(r.amount.amount > 0 for r in rows)
    buyers = {r.customer_id for r in rows}
    assert buyers <= {f"user-{i:05d}" for i in range(max(1, int(people * 0.7)))}


@given(seed=st.integers(0, 2**31), level=st.integers(0, len(LEVEL_WEIGHTS) - 1))
@example(seed=0, level=0)
@example(seed=0, level=len(LEVEL_WEIGHTS) - 1)
def test_loyalty_values_reach_their_level_for_a_repeat_buyer(seed: int, level: int) -> None:
    values = loyalty_values(random.Random(seed), level)
    facts = CustomerFacts(purchases=2, revenue=Decimal(100)).apply(FactsDelta(values=values))
    config = default_board()
    reached = ladder.place(facts, config, now=T0)
    assert list(config.keys).index(reached) == max(level, 1)  # a buyer is past "acquainted"


@given(seed=st.integers(0, 2**31), mood=st.floats(0, 1))
def test_health_facts_are_valid_inputs(seed: int, mood: float) -> None:
    facts = health_facts(random.Random(seed), mood, T0)
    parsed = inputs_from(facts)
    assert isinstance(parsed, Success), parsed
    assert set(facts["features_used"]) <= set(FEATURES)


def test_struggling_accounts_score_worse_than_thriving_ones() -> None:
    rng, config = random.Random(3), HealthConfig()

    def mean(mood: float) -> float:
        scores = [
            assess(inputs_from(health_facts(rng, mood, T0)).unwrap(), config, now=T0).score
            for _ in range(200)
        ]
        return sum(scores) / len(scores)

    assert mean(0.2) < config.red_below <= config.yellow_below < mean(0.8)


@pytest.mark.parametrize("n", [1, 4, 5, 12, 40])
def test_one_account_in_five_struggles(n: int) -> None:
    accounts = [
        Account(
            id=AccountId(_uuid(i)), name=f"A{i}", type=AccountType.NGO, created_at=T0, updated_at=T0
        )
        for i in range(n)
    ]
    moods = account_moods(random.Random(n), accounts)
    assert len(moods) == n
    assert sum(1 for m in moods.values() if m < 0.5) == max(1, n // 5)
