"""Inbox entries: claims, backoff with jitter, dead-lettering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.inbox import InboxEntry, InboxRetryPolicy, InboxStatus, entry_key

AT = datetime(2026, 1, 5, tzinfo=UTC)


def _entry() -> InboxEntry:
    return InboxEntry.accept(
        event_id="e1", type="purchase", payload={}, occurred_at=AT, at=AT, validated=True
    )


def test_the_key_depends_only_on_the_event_id() -> None:
    assert entry_key("e1") == _entry().id != entry_key("e2")


@given(st.integers(1, 40), st.floats(0, 1, exclude_max=True))
def test_backoff_is_exponential_capped_and_jittered(attempt: int, jitter: float) -> None:
    policy = InboxRetryPolicy(base=timedelta(seconds=10), cap=timedelta(hours=1))
    full = min(policy.cap, policy.base * 2 ** min(attempt - 1, 30))
    delay = policy.delay(attempt, jitter)
    assert full / 2 <= delay <= full


@given(st.integers(1, 10), st.lists(st.floats(0, 1, exclude_max=True), min_size=12, max_size=12))
def test_failures_end_in_the_dead_letter_after_the_limit(limit: int, jitters: list[float]) -> None:
    policy = InboxRetryPolicy(max_attempts=limit)
    entry, now = _entry(), AT
    for attempt, jitter in enumerate(jitters, start=1):
        assert entry.is_due(now)
        entry = entry.claim(worker="w", token=UUID(int=attempt), now=now, lease=policy.lease)
        assert not entry.is_due(now)
        entry = entry.retry_later(error="down", now=now, policy=policy, jitter=jitter)
        if attempt >= limit:
            assert entry.status is InboxStatus.DEAD
            assert not entry.is_due(now + timedelta(days=365))
            return
        assert entry.status is InboxStatus.PENDING
        assert entry.next_attempt_at > now
        now = entry.next_attempt_at


def test_an_expired_lease_makes_the_entry_claimable_again() -> None:
    policy = InboxRetryPolicy()
    claimed = _entry().claim(worker="w", token=UUID(int=1), now=AT, lease=policy.lease)
    assert not claimed.is_due(AT + policy.lease - timedelta(seconds=1))
    assert claimed.is_due(AT + policy.lease)
