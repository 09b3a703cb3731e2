"""UnitOfWork contract: transactions, optimistic concurrency, unique keys."""

from __future__ import annotations

import attrs
import pytest

from crmcore.domain.lead import LeadCreated, LeadReopened, LeadStatus
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from tests.contract.conftest import Backend
from tests.contract.helpers import contact, deal, lead, write_and_commit


def test_leaving_without_commit_discards_everything(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.record(*[])
    with backend.uow() as uow:
        assert uow.leads.get(ann.id) is None
        assert uow.leads.list() == []


def test_rollback_discards_and_the_unit_of_work_stays_usable(backend: Backend) -> None:
    ann, bob = lead(backend, "ann@example.com"), lead(backend, "bob@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.rollback()
        uow.leads.add(bob)
        uow.commit()
    with backend.uow() as uow:
        assert [x.id for x in uow.leads.list()] == [bob.id]


def test_an_exception_inside_the_block_rolls_back(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")

    def fail_midway() -> None:
        with backend.uow() as uow:
            uow.leads.add(ann)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_midway()
    with backend.uow() as uow:
        assert uow.leads.get(ann.id) is None


def test_reads_in_the_same_unit_see_its_own_writes_at_the_read_version(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        assert uow.leads.get(ann.id) == ann
        qualified = attrs.evolve(ann, status=LeadStatus.QUALIFIED)
        uow.leads.save(qualified)
        uow.leads.save(attrs.evolve(qualified, score=10))
        assert uow.leads.get(ann.id) == attrs.evolve(qualified, score=10)
        uow.commit()
    with backend.uow() as uow:
        stored = uow.leads.get(ann.id)
    assert stored == attrs.evolve(qualified, score=10, version=1)


def test_two_units_updating_the_same_deal_exactly_one_wins(backend: Backend) -> None:
    d = deal(backend)
    with backend.uow() as uow:
        uow.deals.add(d)
        uow.commit()
    first, second = backend.uow(), backend.uow()
    with first, second:
        mine = first.deals.get(d.id)
        theirs = second.deals.get(d.id)
        assert mine is not None
        assert theirs is not None
        first.deals.save(mine.advance(at=backend.clock.now()).unwrap().entity)
        first.commit()
        lost = theirs.lose("too slow", at=backend.clock.now()).unwrap().entity
        with pytest.raises(ConcurrentModification):
            write_and_commit(second, lambda: second.deals.save(lost))
    with backend.uow() as uow:
        final = uow.deals.get(d.id)
    assert final is not None
    assert (final.stage, final.version, len(final.history)) == ("qualified", 2, 2)


def test_saving_a_stale_version_is_refused(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    stale = attrs.evolve(ann, version=1)
    with backend.uow() as uow:
        uow.leads.save(attrs.evolve(stale, score=5))
        uow.commit()
    with backend.uow() as uow, pytest.raises(ConcurrentModification):
        write_and_commit(uow, lambda: uow.leads.save(attrs.evolve(stale, score=9)))


def test_saving_the_copy_that_was_added_is_refused_as_stale(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    with backend.uow() as uow, pytest.raises(ConcurrentModification):
        write_and_commit(uow, lambda: uow.leads.save(attrs.evolve(ann, score=3)))


def test_saving_something_never_added_is_refused(backend: Backend) -> None:
    with backend.uow() as uow, pytest.raises(ConcurrentModification):
        write_and_commit(
            uow, lambda: uow.leads.save(attrs.evolve(lead(backend, "ghost@example.com"), version=1))
        )


def test_a_taken_lead_email_is_a_duplicate_key(backend: Backend) -> None:
    with backend.uow() as uow:
        uow.leads.add(lead(backend, "ann@example.com"))
        uow.commit()
    with backend.uow() as uow, pytest.raises(DuplicateKey) as caught:
        write_and_commit(uow, lambda: uow.leads.add(lead(backend, "ann@example.com")))
    assert caught.value.field == "email"


def test_a_taken_contact_user_id_is_a_duplicate_key(backend: Backend) -> None:
    with backend.uow() as uow:
        uow.contacts.add(contact(backend, user_id="u-1"))
        uow.commit()
    with backend.uow() as uow, pytest.raises(DuplicateKey) as caught:
        write_and_commit(uow, lambda: uow.contacts.add(contact(backend, user_id="u-1")))
    assert caught.value.field == "user_id"


def test_a_reused_id_is_a_duplicate_key(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.commit()
    with backend.uow() as uow, pytest.raises(DuplicateKey):
        write_and_commit(
            uow,
            lambda: uow.leads.add(
                attrs.evolve(ann, email=ann.email.__class__("other@example.com"))
            ),
        )


def test_collect_new_events_hands_each_event_once_and_the_outbox_still_gets_all(
    backend: Backend,
) -> None:
    ann, bob = lead(backend, "ann@example.com"), lead(backend, "bob@example.com")
    created = LeadCreated(lead_id=ann.id, email="ann@example.com", source="api")
    with backend.uow() as uow:
        assert list(uow.collect_new_events()) == []
        uow.record(created, LeadReopened(lead_id=ann.id))
        assert list(uow.collect_new_events()) == [created, LeadReopened(lead_id=ann.id)]
        assert list(uow.collect_new_events()) == []
        uow.record(LeadReopened(lead_id=bob.id))
        assert list(uow.collect_new_events()) == [LeadReopened(lead_id=bob.id)]
        uow.record(LeadReopened(lead_id=ann.id))
        uow.commit()
        # a commit starts afresh: nothing recorded before it is handed out again
        assert list(uow.collect_new_events()) == []
        uow.record(LeadReopened(lead_id=bob.id))
        uow.rollback()
        assert list(uow.collect_new_events()) == []
        uow.record(created)
        assert list(uow.collect_new_events()) == [created]
        uow.commit()
    with backend.uow() as uow:
        pending = uow.outbox.pending()
    assert [e.payload for e in pending] == [
        created,
        LeadReopened(lead_id=ann.id),
        LeadReopened(lead_id=bob.id),
        LeadReopened(lead_id=ann.id),
        created,
    ]
