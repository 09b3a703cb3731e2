"""The inbox entry as a state machine, against a model written here from docs/pipeline.md
(not from the code's table): every move from every status is tried; an allowed one lands
where the model says, a refused one is refused with the model's list of allowed moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from crmcore.domain.inbox import InboxEntry, InboxMoveRefused, InboxRetryPolicy, InboxStatus

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
POLICY = InboxRetryPolicy(max_attempts=3)

#: From docs/pipeline.md: where each move may start and where it lands.
MODEL: dict[str, tuple[frozenset[str], str]] = {
    "claim": (frozenset({"pending", "processing"}), "processing"),
    "done": (frozenset({"processing", "review"}), "done"),
    "park": (frozenset({"processing"}), "review"),
    "reject": (frozenset({"processing"}), "failed"),
    "discard": (frozenset({"review"}), "discarded"),
    "retry": (frozenset({"processing"}), "pending"),  # "dead" at the last attempt
    "revive": (frozenset({"dead"}), "pending"),
}
FINAL = frozenset({"done", "failed", "discarded"})


def allowed_in(status: str) -> set[str]:
    return {move for move, (starts, _) in MODEL.items() if status in starts}


class InboxEntryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.entry = InboxEntry.accept(
            event_id="e1", type="purchase", payload={}, occurred_at=T0, at=T0, validated=True
        )
        self.status = "pending"
        self.attempts = 0

    def _try(self, move: str, act: object) -> InboxEntry | None:
        starts, _ = MODEL[move]
        if self.status not in starts:
            with pytest.raises(InboxMoveRefused) as refused:
                act()  # type: ignore[operator]
            assert refused.value.refused.move == move
            assert refused.value.refused.state == self.status
            assert set(refused.value.refused.allowed) == allowed_in(self.status)
            return None
        moved: InboxEntry = act()  # type: ignore[operator]
        return moved

    @rule(worker=st.sampled_from(["w1", "w2"]))
    def claim(self, worker: str) -> None:
        moved = self._try(
            "claim",
            lambda: self.entry.claim(worker=worker, token=UUID(int=1), now=self.now, lease=LEASE),
        )
        if moved is not None:
            self.entry, self.status = moved, "processing"
            self.attempts += 1
            assert (moved.claimed_by, moved.lease_until) == (worker, self.now + LEASE)

    @rule()
    def done(self) -> None:
        moved = self._try("done", lambda: self.entry.done(at=self.now))
        if moved is not None:
            self.entry, self.status = moved, "done"
            assert moved.last_error is None

    @rule()
    def park(self) -> None:
        moved = self._try("park", lambda: self.entry.parked(reason="unsure", at=self.now))
        if moved is not None:
            self.entry, self.status = moved, "review"

    @rule()
    def reject(self) -> None:
        moved = self._try("reject", lambda: self.entry.rejected(reason="bad", at=self.now))
        if moved is not None:
            self.entry, self.status = moved, "failed"

    @rule()
    def discard(self) -> None:
        moved = self._try("discard", lambda: self.entry.discarded(reason="dup", at=self.now))
        if moved is not None:
            self.entry, self.status = moved, "discarded"

    @rule()
    def retry(self) -> None:
        moved = self._try(
            "retry",
            lambda: self.entry.retry_later(error="down", now=self.now, policy=POLICY, jitter=0.5),
        )
        if moved is not None:
            self.entry = moved
            self.status = "dead" if self.attempts >= POLICY.max_attempts else "pending"
            assert moved.last_error == "down"

    @rule()
    def revive(self) -> None:
        moved = self._try("revive", lambda: self.entry.revived(now=self.now))
        if moved is not None:
            self.entry, self.status, self.attempts = moved, "pending", 0
            assert moved.next_attempt_at == self.now

    @rule(minutes=st.integers(0, 5))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @invariant()
    def the_entry_is_where_the_model_is(self) -> None:
        assert self.entry.status.value == self.status
        assert self.entry.attempts == self.attempts
        assert set(self.entry.allowed()) == allowed_in(self.status)

    @invariant()
    def only_a_processing_entry_is_held(self) -> None:
        held = (self.entry.claimed_by, self.entry.claim_token, self.entry.lease_until)
        if self.status == "processing":
            assert None not in held
        else:
            assert held == (None, None, None)

    @invariant()
    def final_entries_are_never_due(self) -> None:
        if self.status in FINAL:
            assert not self.entry.allowed()
            assert not self.entry.is_due(self.now + timedelta(days=365))
            assert self.entry.processed_at is not None


TestInboxEntryMachine = InboxEntryMachine.TestCase


def test_every_status_is_in_the_model() -> None:
    statuses = {s.value for s in InboxStatus}
    starts = set().union(*(s for s, _ in MODEL.values())) | FINAL
    assert statuses == starts | {"dead"}
