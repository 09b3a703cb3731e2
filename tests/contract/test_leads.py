"""LeadRepository contract: every adapter behaves the same."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from crmcore.domain.email import Email
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.phone import Phone
from crmcore.ports.errors import ConcurrentModification
from crmcore.ports.repositories import UpsertCounts
from tests.contract.conftest import Backend
from tests.contract.helpers import lead, write_and_commit
from tests.strategies import lead_entities


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=lead_entities())
def test_a_lead_reads_back_exactly_as_it_was_added(backend: Backend, stored: Lead) -> None:
    with backend.uow() as uow:
        uow.leads.add(stored)
        assert uow.leads.get(stored.id) == stored
        assert uow.leads.find_by_email(stored.email) == stored


def test_committed_lead_gets_version_one_and_is_found_by_email(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    with backend.uow() as uow:
        assert uow.leads.get(ann.id) == attrs.evolve(ann, version=1)
        assert uow.leads.find_by_email(Email("ann@example.com")) == attrs.evolve(ann, version=1)
        assert uow.leads.find_by_email(Email("nobody@example.com")) is None


def test_save_changes_the_lead_and_bumps_the_version(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.leads.get(ann.id)
        assert loaded is not None
        uow.leads.save(attrs.evolve(loaded, status=LeadStatus.QUALIFIED, score=55))
        uow.commit()
    with backend.uow() as uow:
        again = uow.leads.get(ann.id)
    assert again is not None
    assert (again.status, again.score, again.version) == (LeadStatus.QUALIFIED, 55, 2)


def test_list_filters_by_status_and_pages_in_id_order(backend: Backend) -> None:
    made = [lead(backend, f"p{i}@example.com") for i in range(5)]
    made[1] = attrs.evolve(made[1], status=LeadStatus.QUALIFIED)
    made[3] = attrs.evolve(made[3], status=LeadStatus.QUALIFIED)
    with backend.uow() as uow:
        for x in reversed(made):
            uow.leads.add(x)
        uow.commit()
    with backend.uow() as uow:
        everything = uow.leads.list()
        qualified = uow.leads.list(status=LeadStatus.QUALIFIED)
        page = uow.leads.list(limit=2, offset=1)
        counts = (uow.leads.count(), uow.leads.count(status=LeadStatus.QUALIFIED))
        none_converted = uow.leads.count(status=LeadStatus.CONVERTED)
    ids = sorted(x.id for x in made)
    assert counts == (5, 2)
    assert none_converted == 0
    assert [x.id for x in everything] == ids
    assert [x.id for x in qualified] == sorted([made[1].id, made[3].id])
    assert [x.id for x in page] == ids[1:3]


def test_upsert_many_inserts_updates_and_counts_like_one_by_one(backend: Backend) -> None:
    ann = attrs.evolve(lead(backend, "ann@example.com"), status=LeadStatus.QUALIFIED, score=70)
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    backend.clock.advance(timedelta(days=1))
    incoming = [
        # same e-mail, new phone and company; status/score of the import are ignored
        attrs.evolve(
            lead(backend, "ann@example.com", first="Annie"),
            phone=Phone("+79001234567"),
            company="Acme",
        ),
        lead(backend, "bob@example.com"),
        # bob again in the same batch: merges into the new row
        attrs.evolve(lead(backend, "bob@example.com"), job_title="CTO"),
        # ann unchanged relative to the first update
        attrs.evolve(lead(backend, "ann@example.com", first="Annie"), company="Acme"),
    ]
    with backend.uow() as uow:
        counts = uow.leads.upsert_many(incoming)
        uow.commit()
    assert counts == UpsertCounts(created=1, updated=2, unchanged=1)
    with backend.uow() as uow:
        stored_ann = uow.leads.find_by_email(Email("ann@example.com"))
        stored_bob = uow.leads.find_by_email(Email("bob@example.com"))
        assert len(uow.leads.list()) == 2
    assert stored_ann is not None
    assert stored_bob is not None
    assert stored_ann.id == ann.id
    assert (stored_ann.status, stored_ann.score) == (LeadStatus.QUALIFIED, 70)
    assert (stored_ann.name.first, stored_ann.company) == ("Annie", "Acme")
    assert stored_ann.phone == Phone("+79001234567")
    assert stored_ann.created_at == ann.created_at
    assert stored_ann.updated_at == backend.clock.now()
    assert stored_ann.version == 2
    assert (stored_bob.job_title, stored_bob.version) == ("CTO", 1)


def test_upsert_many_twice_changes_nothing_the_second_time(backend: Backend) -> None:
    batch = [lead(backend, f"u{i}@example.com") for i in range(30)]
    with backend.uow() as uow:
        first = uow.leads.upsert_many(batch)
        uow.commit()
    with backend.uow() as uow:
        second = uow.leads.upsert_many(batch)
        uow.commit()
    assert first == UpsertCounts(created=30)
    assert second == UpsertCounts(unchanged=30)


def test_find_many_by_email_and_save_many_with_version_checks(backend: Backend) -> None:
    ann, bob, cy = (lead(backend, f"{n}@example.com") for n in ("ann", "bob", "cy"))
    with backend.uow() as uow:
        for x in (ann, bob, cy):
            uow.leads.add(x)
        uow.commit()
    with backend.uow() as uow:
        found = uow.leads.find_many_by_email(
            {Email("ann@example.com"), Email("cy@example.com"), Email("no@example.com")}
        )
        assert [x.id for x in found] == sorted([ann.id, cy.id])
        assert uow.leads.find_many_by_email(set()) == []
        uow.leads.save_many([attrs.evolve(x, score=50) for x in found])
        uow.commit()
    with backend.uow() as uow:
        again = uow.leads.find_many_by_email({Email("ann@example.com"), Email("cy@example.com")})
        assert [(x.score, x.version) for x in again] == [(50, 2), (50, 2)]
    with pytest.raises(ConcurrentModification), backend.uow() as uow:
        write_and_commit(uow, lambda: uow.leads.save_many(found))
