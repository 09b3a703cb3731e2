"""Outbox contract: events are stored with the state change, in order, or not at all."""

from __future__ import annotations

from datetime import timedelta

from crmcore.domain.lead import LeadCreated, LeadReopened
from crmcore.ports.events import OutboxStats, OutboxStatus
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


def test_failed_attempts_back_off_then_dead_letter_and_retry(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    with backend.uow() as uow:
        uow.record(
            LeadReopened(lead_id=ann.id), LeadCreated(lead_id=ann.id, email="a@x.io", source="api")
        )
        uow.commit()
    later = backend.clock.now() + timedelta(seconds=30)
    with backend.uow() as uow:
        head = uow.outbox.pending_entries()[0]
        uow.outbox.mark_failed(head.envelope.id, error="broker down", retry_at=later)
        uow.commit()
    with backend.uow() as uow:
        entries = uow.outbox.pending_entries()
        assert [e.attempts for e in entries] == [1, 0]
        assert entries[0].next_attempt_at == later
        assert entries[0].last_error == "broker down"
        uow.outbox.mark_failed(head.envelope.id, error="still down", retry_at=None)
        uow.commit()
    with backend.uow() as uow:
        assert [e.type for e in uow.outbox.pending()] == ["crm.lead.created"]
        dead = uow.outbox.dead_letters()
        assert [(d.envelope.id, d.status, d.attempts) for d in dead] == [
            (head.envelope.id, OutboxStatus.DEAD, 2)
        ]
        assert uow.outbox.stats() == OutboxStats(
            pending=1, sent=0, dead=1, oldest_pending=backend.clock.now()
        )
        assert uow.outbox.retry_dead() == 1
        uow.commit()
    with backend.uow() as uow:
        again = uow.outbox.pending_entries()
        assert again[0].envelope.id == head.envelope.id
        assert (again[0].attempts, again[0].next_attempt_at) == (0, None)
        assert uow.outbox.stats().dead == 0


def test_a_consumer_claims_each_event_id_once(backend: Backend) -> None:
    event_id = backend.ids.new()
    with backend.uow() as uow:
        assert uow.processed.claim("mailer", event_id, at=backend.clock.now())
        assert not uow.processed.claim("mailer", event_id, at=backend.clock.now())
        uow.commit()
    with backend.uow() as uow:
        assert not uow.processed.claim("mailer", event_id, at=backend.clock.now())
        assert uow.processed.claim("scorer", event_id, at=backend.clock.now())
    with backend.uow() as uow:  # the scorer's claim was rolled back
        assert uow.processed.claim("scorer", event_id, at=backend.clock.now())
