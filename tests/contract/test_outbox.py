"""Outbox contract: events are stored with the state change, in order, or not at all."""

from __future__ import annotations

from crmcore.domain.lead import LeadCreated, LeadReopened
from tests.contract.conftest import Backend
from tests.contract.helpers import lead


def test_recorded_events_reach_the_outbox_on_commit_in_order(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.record(LeadCreated(lead_id=ann.id, email="ann@example.com", source="api"))
        uow.record(LeadReopened(lead_id=ann.id))
        uow.commit()
    with backend.uow() as uow:
        pending = uow.outbox.pending()
    assert [e.type for e in pending] == ["crm.lead.created", "crm.lead.reopened"]
    assert pending[0].payload == LeadCreated(lead_id=ann.id, email="ann@example.com", source="api")
    assert pending[0].occurred_at == backend.clock.now()
    assert pending[0].id != pending[1].id


def test_events_of_a_rolled_back_unit_are_never_stored(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.record(LeadReopened(lead_id=ann.id))
    with backend.uow() as uow:
        assert list(uow.outbox.pending()) == []


def test_mark_sent_removes_from_pending_only_when_committed(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.record(*(LeadReopened(lead_id=ann.id) for _ in range(5)))
        uow.commit()
    with backend.uow() as uow:
        first_two = uow.outbox.pending(limit=2)
        uow.outbox.mark_sent([e.id for e in first_two])
    with backend.uow() as uow:
        assert len(uow.outbox.pending()) == 5
        uow.outbox.mark_sent([e.id for e in first_two])
        uow.commit()
    with backend.uow() as uow:
        rest = uow.outbox.pending()
    assert len(rest) == 3
    assert {e.id for e in rest}.isdisjoint({e.id for e in first_two})
