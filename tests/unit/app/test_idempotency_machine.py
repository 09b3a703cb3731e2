"""The life of an ``Idempotency-Key`` through the access use cases, against a model written
from docs/http.md ("Updates and retries"), not from the code:

* a key nobody holds may run: the request claims it;
* while a claim is younger than its lease, another request with the key is told to wait;
  an older claim (its request crashed) may be taken over;
* a finished request's response is replayed for 24 hours, then the key runs as new;
* a failed request gives its key back;
* claiming a key forgets every response older than 24 hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.access.idempotency import claim, complete, entry_id, recall, release
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from tests.conftest import T0

KEYS = ["k0", "k1", "k2"]
LEASE = timedelta(seconds=60)  # docs/http.md: a running request holds its key a minute
LIFE = timedelta(hours=24)  # docs/http.md: a response is replayed for 24 hours


class IdempotencyKeys(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(T0)
        self.app = bootstrap(Settings(db_url="memory://"), clock=self.clock, ids=SequentialIds())
        self.caller = SequentialIds(seed=3).new()
        # the model: key -> ("running" | "done", since)
        self.model: dict[str, tuple[str, datetime]] = {}

    def _id(self, key: str) -> UUID:
        return entry_id(self.caller, key)

    @rule(key=st.sampled_from(KEYS))
    def a_request_arrives(self, key: str) -> None:
        now = self.clock.now()
        held = self.model.get(key)
        got = claim(self.app, self._id(key), print_="p").unwrap()
        if held is None:
            may_run = True
        else:
            state, since = held
            may_run = since + (LEASE if state == "running" else LIFE) <= now
        assert (got is None) == may_run, (key, held, got)
        if not may_run:
            assert got is not None
            assert held is not None
            assert got.pending == (held[0] == "running")
            return
        self.model[key] = ("running", now)
        # a request that claims a key forgets the responses (and claims) older than a day
        for other, (_, since) in list(self.model.items()):
            if since < now - LIFE:
                del self.model[other]

    @precondition(lambda self: any(s == "running" for s, _ in self.model.values()))
    @rule(data=st.data(), succeeded=st.booleans())
    def a_running_request_ends(self, data: st.DataObject, succeeded: bool) -> None:
        running = sorted(k for k, (state, _) in self.model.items() if state == "running")
        key = data.draw(st.sampled_from(running))
        since = self.model[key][1]
        if succeeded:
            complete(self.app, self._id(key), status=201, body="{}").unwrap()
            self.model[key] = ("done", since)
        else:
            release(self.app, self._id(key)).unwrap()
            del self.model[key]

    @rule(minutes=st.sampled_from([0, 1, 2, 60, 24 * 60 - 1, 24 * 60 + 1]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @invariant()
    def the_store_holds_what_the_model_holds(self) -> None:
        for key in KEYS:
            stored = recall(self.app, self._id(key)).unwrap()
            held = self.model.get(key)
            if held is None:
                assert stored is None, key
            else:
                assert stored is not None, key
                assert stored.pending == (held[0] == "running")
                assert stored.created_at == held[1]


TestIdempotencyKeys = IdempotencyKeys.TestCase
TestIdempotencyKeys.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
