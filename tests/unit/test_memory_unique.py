"""Unique keys of the memory database (looked up in indexes, not by scanning every row):
a value is taken while a visible row holds it and free again once that row lets it go."""

from __future__ import annotations

import attrs
import pytest

import crmcore
from crmcore import App
from crmcore.domain.email import Email
from crmcore.domain.ids import LeadId
from crmcore.ports.errors import DuplicateKey
from crmcore.ports.uow import UnitOfWork


def lead(app: App, email: str) -> LeadId:
    return crmcore.capture_lead(app, email=email, first_name="A").unwrap().id


def rename(uow: UnitOfWork, lead_id: LeadId, email: str) -> None:
    stored = uow.leads.get(lead_id)
    assert stored is not None
    uow.leads.save(attrs.evolve(stored, email=Email(email)))


def test_a_value_given_up_by_a_committed_change_is_free(app: App) -> None:
    first = lead(app, "a@b.co")
    with app.uow() as uow:
        rename(uow, first, "c@b.co")
        uow.commit()
    newcomer = lead(app, "a@b.co")
    with app.uow() as uow:
        with pytest.raises(DuplicateKey):
            rename(uow, newcomer, "c@b.co")
        rename(uow, newcomer, "d@b.co")


def test_two_staged_rows_with_one_value_conflict_before_commit(app: App) -> None:
    first, second = lead(app, "a@b.co"), lead(app, "b@b.co")
    with app.uow() as uow:
        rename(uow, first, "z@b.co")
        with pytest.raises(DuplicateKey):
            rename(uow, second, "z@b.co")


def test_a_rolled_back_value_stays_free(app: App) -> None:
    first = lead(app, "a@b.co")
    with app.uow() as uow:
        rename(uow, first, "z@b.co")
    assert lead(app, "z@b.co") != first


def test_concurrent_takers_of_one_value_conflict_at_commit(app: App) -> None:
    first, second = lead(app, "a@b.co"), lead(app, "b@b.co")
    one, two = app.uow(), app.uow()
    with one, two:
        rename(one, first, "z@b.co")
        rename(two, second, "z@b.co")
        one.commit()
        with pytest.raises(DuplicateKey):
            two.commit()
