"""Workers that die at any point: a claim never finished, a batch never committed.

A ``RuleBasedStateMachine`` interleaves ingesting, working, a worker killed right after its
claim committed (its lease stays), a worker killed mid-batch (its transaction rolls back)
and leases running out. Whatever the interleaving, nothing is applied twice while it runs,
and once the inbox is drained the state equals one clean worker's over the same events
(the model: ``_reference``, which applies the events one at a time in time order).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any, cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from crmcore import App
from crmcore.adapters.memory.event_processing import MemoryFactSink
from crmcore.adapters.system import FixedClock
from crmcore.app.events.worker import _apply_entries, _claim, ingest_events, process_inbox
from tests.unit.test_event_worker import (
    _reference,
    assert_same_effects,
    drain,
    make_app,
    projection,
)

USERS = ("ann", "bob", "cid")


def raw_event(n: int, kind: str, user: str, day: int) -> dict[str, Any]:
    payloads: dict[str, dict[str, Any]] = {
        "purchase": {"amount": f"{10 + n}.00", "currency": "USD"},
        "app_login": {"device": "ios"},
        "form_answer": {"form_id": "nps", "answers": {"nps": n % 11}},
    }
    data = payloads[kind]
    return {
        "id": f"evt-{n}",
        "type": kind,
        "occurred_at": f"2026-01-0{day}T08:00:00Z",
        "customer": {"user_id": user},
        "data": data,
    }


class CrashingWorkers(RuleBasedStateMachine):
    """Two workers that may be killed between any two steps."""

    @initialize()
    def start(self) -> None:
        self.app: App = make_app()
        self.sent: list[dict[str, Any]] = []

    @property
    def clock(self) -> FixedClock:
        return cast(FixedClock, self.app.clock)

    @rule(
        kind=st.sampled_from(["purchase", "app_login", "form_answer"]),
        user=st.sampled_from(USERS),
        day=st.integers(1, 4),
    )
    def ingest(self, kind: str, user: str, day: int) -> None:
        raw = raw_event(len(self.sent), kind, user, day)
        assert ingest_events(self.app, [raw]).unwrap().accepted == 1
        self.sent.append(raw)

    @rule(worker=st.sampled_from(["w1", "w2"]), batch=st.integers(1, 4))
    def work(self, worker: str, batch: int) -> None:
        process_inbox(self.app, batch=batch, worker=worker, once=True).unwrap()

    @rule(worker=st.sampled_from(["w1", "w2"]), batch=st.integers(1, 4))
    def killed_after_its_claim(self, worker: str, batch: int) -> None:
        assert self.app.events is not None
        _claim(self.app, self.app.events, worker=worker, limit=batch)  # then nothing more

    @rule(worker=st.sampled_from(["w1", "w2"]), batch=st.integers(1, 4))
    def killed_before_its_commit(self, worker: str, batch: int) -> None:
        services = self.app.events
        assert services is not None
        claimed = _claim(self.app, services, worker=worker, limit=batch)
        with services.uow() as uow:  # applied, flushed, never committed: rolled back
            _apply_entries(self.app, services, uow, claimed, now=self.clock.now(), cache=None)

    @rule()
    def leases_run_out(self) -> None:
        assert self.app.events is not None
        self.clock.advance(self.app.events.settings.retry.lease + timedelta(seconds=1))

    @invariant()
    def nothing_is_applied_twice(self) -> None:
        assert self.app.events is not None
        with self.app.events.uow() as uow:
            facts = cast(MemoryFactSink, uow.facts).rows()
            done = {e.event_id for e in uow.inbox.list(limit=10**6) if e.status.value == "done"}
            bought = [
                t.external_id for c in uow.contacts.list() for t in uow.transactions.list_for(c.id)
            ]
        per_event = Counter((f.event_id, f.kind, f.name) for f in facts)
        assert all(n == 1 for n in per_event.values())
        assert len(bought) == len(set(bought))
        assert {f.event_id for f in facts} <= {raw["id"] for raw in self.sent}
        assert done <= {raw["id"] for raw in self.sent}

    def teardown(self) -> None:
        if not hasattr(self, "app"):
            return
        drain(self.app)
        assert_same_effects(projection(self.app), _reference(self.sent))


TestCrashingWorkers = CrashingWorkers.TestCase
TestCrashingWorkers.settings = settings(max_examples=30, stateful_step_count=14, deadline=None)
