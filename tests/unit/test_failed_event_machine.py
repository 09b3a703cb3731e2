"""The failed-event lifecycle through the use cases, against an independent model.

An event the pipeline cannot accept is kept as a failed event. An operator retries it (as
stored, or with a fixed version) or discards it. The model below is written from the
operator's documentation (docs/pipeline.md), not from the domain's table:

* only an open failed event can be retried or discarded; anything else is refused and
  changes nothing;
* a retry with a valid event puts it in the inbox (once) and closes the failed event as
  retried; a retry that is still invalid keeps it open with one more attempt;
* a discarded or retried event stays listed and never changes again.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from returns.result import Failure

from crmcore import App
from crmcore.app.events.worker import (
    discard_failed,
    ingest_events,
    list_failed,
    retry_failed,
)
from crmcore.domain.errors import RuleViolation
from crmcore.domain.inbox import FailedStatus
from tests.unit.test_event_worker import make_app

EVENTS = 4


def event(n: int, *, valid: bool) -> dict[str, Any]:
    """Event ``n``: a login, or the same login with an e-mail nobody can write to."""
    return {
        "id": f"ev-{n}",
        "type": "app_login",
        "occurred_at": "2026-01-05T10:00:00+00:00",
        "customer": {"email": f"user{n}@example.com" if valid else f"user{n}@@broken"},
        "data": {},
    }


class FailedEventLifecycle(RuleBasedStateMachine):
    """Operators retry and discard failed events in any order."""

    @initialize()
    def ingest_bad_events(self) -> None:
        self.app: App = make_app()
        report = ingest_events(self.app, [event(n, valid=False) for n in range(EVENTS)])
        assert len(report.unwrap().rejected) == EVENTS
        stored = list_failed(self.app, status=None).unwrap()
        self.ids = {str(f.event_id): f.id for f in stored}
        assert sorted(self.ids) == [f"ev-{n}" for n in range(EVENTS)]
        # the model: status and attempts per event id; the ids that reached the inbox
        self.status = dict.fromkeys(self.ids, "open")
        self.attempts = dict.fromkeys(self.ids, 1)
        self.in_inbox: set[str] = set()

    @rule(n=st.integers(0, EVENTS - 1), fix=st.sampled_from(["valid", "invalid", "as stored"]))
    def retry(self, n: int, fix: str) -> None:
        key = f"ev-{n}"
        fixed = None if fix == "as stored" else json.dumps(event(n, valid=fix == "valid"))
        outcome = retry_failed(self.app, self.ids[key], fixed=fixed)
        if self.status[key] != "open":
            assert isinstance(outcome, Failure)
            assert isinstance(outcome.failure(), RuleViolation)
            return
        if fix == "valid":
            assert outcome.unwrap().accepted
            self.status[key] = "retried"
            self.in_inbox.add(key)
        else:
            assert not outcome.unwrap().accepted
            assert outcome.unwrap().errors
            self.attempts[key] += 1

    @rule(n=st.integers(0, EVENTS - 1))
    def discard(self, n: int) -> None:
        key = f"ev-{n}"
        outcome = discard_failed(self.app, self.ids[key])
        if self.status[key] != "open":
            assert isinstance(outcome, Failure)
            return
        assert outcome.unwrap().status is FailedStatus.DISCARDED
        self.status[key] = "discarded"

    @invariant()
    def the_store_agrees_with_the_model(self) -> None:
        stored = {f.event_id: f for f in list_failed(self.app, status=None).unwrap()}
        assert {k: f.status.value for k, f in stored.items()} == self.status
        assert {k: f.attempts for k, f in stored.items()} == self.attempts
        open_now = {f.event_id for f in list_failed(self.app).unwrap()}
        assert open_now == {k for k, s in self.status.items() if s == "open"}

    @invariant()
    def only_retried_events_reach_the_inbox_and_each_once(self) -> None:
        assert self.app.events is not None
        with self.app.events.uow() as uow:
            entries = [e.event_id for e in uow.inbox.list(limit=1000)]
        assert sorted(entries) == sorted(self.in_inbox)


TestFailedEventLifecycle = FailedEventLifecycle.TestCase
TestFailedEventLifecycle.settings = settings(max_examples=40, stateful_step_count=12, deadline=None)
