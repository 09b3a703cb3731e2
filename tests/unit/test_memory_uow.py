"""The memory unit of work behaves like a database transaction."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

import crmcore
from crmcore import App
from crmcore.adapters.system import FixedClock
from crmcore.ports.errors import ConcurrentModification, DuplicateKey


def test_rollback_discards_everything(app: App) -> None:
    deal = crmcore.create_deal(app, title="A", amount="1").unwrap()
    with app.uow() as uow:
        stored = uow.deals.get(deal.id)
        assert stored is not None
        uow.deals.save(stored.advance(at=stored.updated_at).unwrap().entity)
        uow.record(*stored.advance(at=stored.updated_at).unwrap().events)
    with app.uow() as uow:
        again = uow.deals.get(deal.id)
        assert again is not None
        assert again.stage == "lead"
        assert again.version == 1


def test_two_units_of_work_on_one_deal_one_wins(app: App, clock: FixedClock) -> None:
    deal = crmcore.create_deal(app, title="A", amount="1").unwrap()
    first, second = app.uow(), app.uow()
    with first, second:
        a = first.deals.get(deal.id)
        b = second.deals.get(deal.id)
        assert a is not None
        assert b is not None
        clock.advance(timedelta(minutes=1))
        first.deals.save(a.advance(at=clock.now()).unwrap().entity)
        second.deals.save(b.lose("price", at=clock.now()).unwrap().entity)
        first.commit()
        with pytest.raises(ConcurrentModification):
            second.commit()
    assert crmcore.get_deal(app, deal.id).unwrap().stage == "qualified"


def test_stale_save_conflicts(app: App) -> None:
    lead = crmcore.capture_lead(app, email="a@b.co", first_name="A").unwrap()
    with app.uow() as uow:
        stale = uow.leads.get(lead.id)
    crmcore.disqualify_lead(app, lead.id, reason="x").unwrap()
    assert stale is not None
    with app.uow() as uow:
        uow.leads.save(stale)
        with pytest.raises(ConcurrentModification):
            uow.commit()


def test_unique_email_is_enforced(app: App) -> None:
    first = crmcore.capture_lead(app, email="a@b.co", first_name="A").unwrap()
    other = crmcore.capture_lead(app, email="b@b.co", first_name="B").unwrap()
    with app.uow() as uow, pytest.raises(DuplicateKey):
        uow.leads.save(attrs.evolve(other, email=first.email))
