"""DealRepository contract: money stays exact, the stage history survives every save."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
from hypothesis import HealthCheck, given, settings

from crmcore.domain.pipeline import Deal, DealStage
from tests.contract.conftest import Backend
from tests.contract.helpers import account, deal
from tests.strategies import deal_entities


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=deal_entities())
def test_a_deal_reads_back_exactly_as_it_was_added(backend: Backend, stored: Deal) -> None:
    with backend.uow() as uow:
        uow.deals.add(stored)
        assert uow.deals.get(stored.id) == stored


def test_moves_append_to_the_history_across_units_of_work(backend: Backend) -> None:
    d = deal(backend, amount="12345.67")
    with backend.uow() as uow:
        uow.deals.add(d)
        uow.commit()
    for _ in range(3):
        backend.clock.advance(timedelta(hours=1))
        with backend.uow() as uow:
            loaded = uow.deals.get(d.id)
            assert loaded is not None
            moved = loaded.advance(at=backend.clock.now()).unwrap()
            uow.deals.save(moved.entity)
            uow.commit()
    with backend.uow() as uow:
        final = uow.deals.get(d.id)
    assert final is not None
    assert final.stage == DealStage.PROPOSAL
    assert [h.to_stage for h in final.history] == [
        DealStage.LEAD,
        DealStage.QUALIFIED,
        DealStage.MEETING,
        DealStage.PROPOSAL,
    ]
    assert final.amount.amount == Decimal("12345.67")
    assert final.version == 4


def test_list_by_stage_and_account_carries_histories(backend: Backend) -> None:
    acme = account(backend, "Acme")
    a = deal(backend, "A", account_id=acme.id)
    b = deal(backend, "B", stage=DealStage.PROPOSAL, account_id=acme.id)
    c = deal(backend, "C", stage=DealStage.PROPOSAL)
    with backend.uow() as uow:
        uow.accounts.add(acme)
        for x in (a, b, c):
            uow.deals.add(x)
        uow.commit()
    with backend.uow() as uow:
        proposals = uow.deals.list(stage=DealStage.PROPOSAL)
        of_acme = uow.deals.list(account_id=acme.id)
        paged = uow.deals.list(limit=1, offset=1)
        counts = (
            uow.deals.count(),
            uow.deals.count(stage=DealStage.PROPOSAL),
            uow.deals.count(account_id=acme.id),
            uow.deals.count(stage=DealStage.LEAD, account_id=acme.id),
            uow.deals.count(stage=DealStage.CONTRACT),
        )
    assert counts == (3, 2, 2, 1, 0)
    assert [x.id for x in proposals] == sorted([b.id, c.id])
    assert [x.id for x in of_acme] == sorted([a.id, b.id])
    assert all(len(x.history) == 1 for x in [*proposals, *of_acme])
    assert [x.id for x in paged] == sorted([a.id, b.id, c.id])[1:2]
    assert paged[0].history == next(x for x in (a, b, c) if x.id == paged[0].id).history


def test_a_lost_deal_keeps_reason_and_close_date(backend: Backend) -> None:
    d = deal(backend)
    with backend.uow() as uow:
        uow.deals.add(d)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.deals.get(d.id)
        assert loaded is not None
        lost = loaded.lose("budget cut", at=backend.clock.now()).unwrap().entity
        uow.deals.save(lost)
        uow.commit()
    with backend.uow() as uow:
        assert uow.deals.get(d.id) == attrs.evolve(lost, version=2)
