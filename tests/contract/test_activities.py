"""ActivityRepository contract."""

from __future__ import annotations

from datetime import timedelta

import attrs

from crmcore.domain.activity import ActivityType
from tests.contract.conftest import Backend
from tests.contract.helpers import deal, lead, task


def test_filters_open_tasks_due_before_and_by_subject(backend: Backend) -> None:
    now = backend.clock.now()
    ann = lead(backend, "ann@example.com")
    d = deal(backend)
    overdue = task(backend, "call back", due_at=now - timedelta(days=1), lead_id=ann.id)
    later = task(backend, "send offer", due_at=now + timedelta(days=2), deal_id=d.id)
    done = attrs.evolve(
        task(backend, "done", due_at=now - timedelta(days=3), deal_id=d.id), completed_at=now
    )
    note = task(backend, "a note", type=ActivityType.NOTE, deal_id=d.id)
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.deals.add(d)
        for a in (overdue, later, done, note):
            uow.activities.add(a)
        uow.commit()
    with backend.uow() as uow:
        assert uow.activities.get(note.id) == attrs.evolve(note, version=1)
        open_due = uow.activities.list(open_tasks_only=True, due_before=now)
        open_all = uow.activities.list(open_tasks_only=True)
        of_deal = uow.activities.list(deal_id=d.id)
        of_lead = uow.activities.list(lead_id=ann.id)
    assert [a.id for a in open_due] == [overdue.id]
    assert [a.id for a in open_all] == sorted([overdue.id, later.id])
    assert [a.id for a in of_deal] == sorted([later.id, done.id, note.id])
    assert [a.id for a in of_lead] == [overdue.id]


def test_completing_a_task_is_saved(backend: Backend) -> None:
    t = task(backend, "call", due_at=backend.clock.now())
    with backend.uow() as uow:
        uow.activities.add(t)
        uow.commit()
    with backend.uow() as uow:
        loaded = uow.activities.get(t.id)
        assert loaded is not None
        uow.activities.save(loaded.complete(at=backend.clock.now()).unwrap())
        uow.commit()
    with backend.uow() as uow:
        again = uow.activities.get(t.id)
        assert again is not None
        assert again.completed_at == backend.clock.now()
        assert uow.activities.list(open_tasks_only=True) == []


def test_add_many_stores_every_activity(backend: Backend) -> None:
    ann = lead(backend, "ann@example.com")
    tasks = [task(backend, f"call {n}", lead_id=ann.id) for n in range(3)]
    with backend.uow() as uow:
        uow.leads.add(ann)
        uow.activities.add_many(tasks)
        uow.activities.add_many([])
        uow.commit()
    with backend.uow() as uow:
        stored = uow.activities.list(lead_id=ann.id)
    assert stored == [attrs.evolve(t, version=1) for t in sorted(tasks, key=lambda t: t.id)]
