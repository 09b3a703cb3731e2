"""The event inbox (C10 reliability) pinned: the backoff by worked examples and its cap, the
attempt limit on its line, due and lease instants, every state change of an entry.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid5

import pytest

from crmcore.domain.errors import FieldError
from crmcore.domain.inbox import (
    INBOX_NAMESPACE,
    AcceptedEvent,
    FailedEvent,
    InboxEntry,
    InboxRetryPolicy,
    InboxStatus,
    entry_key,
)
from tests.conftest import T0

POLICY = InboxRetryPolicy()
TOKEN = UUID(int=8)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("attempt", "jitter", "seconds"),
    [
        (0, 0.0, 5),  # base 10 s · 2^0, jitter 0 → half
        (1, 0.0, 5),
        (1, 0.5, 7.5),  # · (0.5 + 0.25)
        (2, 0.0, 10),  # 10 · 2 / 2
        (3, 0.99, 39.8),  # 40 · 0.995
        (9, 0.0, 1280),  # 2560 s, under the cap
        (10, 0.0, 1800),  # 5120 s capped at an hour, then halved
        (40, 1.0, 3600),  # the exponent stops at 30; still the cap
    ],
)
def test_the_backoff_doubles_up_to_an_hour_scaled_by_jitter(
    attempt: int, jitter: float, seconds: float
) -> None:
    assert POLICY.delay(attempt, jitter).total_seconds() == pytest.approx(seconds)


def test_the_policy_defaults() -> None:
    assert (POLICY.max_attempts, POLICY.base, POLICY.cap, POLICY.lease) == (
        8,
        timedelta(seconds=10),
        timedelta(hours=1),
        timedelta(seconds=30),  # short: a live worker renews it (heartbeat)
    )


def entry(**kw: object) -> InboxEntry:
    accepted = AcceptedEvent(event_id="ev-1", type="crm.thing", payload={"a": 1}, occurred_at=T0)
    base = accepted.entry(at=T0 + SECOND)
    return base if not kw else InboxEntry(**{**_fields(base), **kw})  # type: ignore[arg-type]


def _fields(e: InboxEntry) -> dict[str, object]:
    return {
        name: getattr(e, name)
        for name in (
            "event_id",
            "type",
            "payload",
            "validated",
            "status",
            "attempts",
            "next_attempt_at",
            "occurred_at",
            "received_at",
            "last_error",
            "claimed_by",
            "claim_token",
            "lease_until",
            "processed_at",
        )
    }


def test_an_accepted_event_is_pending_and_due_at_once() -> None:
    e = entry()
    assert _fields(e) == {
        "event_id": "ev-1",
        "type": "crm.thing",
        "payload": {"a": 1},
        "validated": True,
        "status": InboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": T0 + SECOND,
        "occurred_at": T0,
        "received_at": T0 + SECOND,
        "last_error": None,
        "claimed_by": None,
        "claim_token": None,
        "lease_until": None,
        "processed_at": None,
    }
    assert e.id == entry_key("ev-1") == uuid5(INBOX_NAMESPACE, "ev-1")


def test_due_means_pending_and_due_or_a_lapsed_lease() -> None:
    e = entry()
    assert not e.is_due(T0)
    assert e.is_due(T0 + SECOND)
    claimed = e.claim(worker="w1", token=TOKEN, now=T0, lease=timedelta(minutes=5))
    assert not claimed.is_due(T0 + timedelta(minutes=5) - SECOND)
    assert claimed.is_due(T0 + timedelta(minutes=5))
    assert not entry(status=InboxStatus.PROCESSING).is_due(T0 + timedelta(days=9))
    for status in (InboxStatus.DONE, InboxStatus.DEAD, InboxStatus.REVIEW):
        assert not entry(status=status).is_due(T0 + timedelta(days=9))


def test_a_claim_counts_an_attempt_and_holds_a_lease() -> None:
    claimed = entry().claim(worker="w1", token=TOKEN, now=T0, lease=timedelta(minutes=2))
    assert (
        claimed.status,
        claimed.attempts,
        claimed.claimed_by,
        claimed.claim_token,
        claimed.lease_until,
    ) == (InboxStatus.PROCESSING, 1, "w1", TOKEN, T0 + timedelta(minutes=2))
    again = claimed.claim(worker="w2", token=UUID(int=9), now=T0, lease=timedelta(minutes=2))
    assert again.attempts == 2


RELEASED = {"claimed_by": None, "claim_token": None, "lease_until": None}


def test_every_ending_releases_the_claim_and_records_why() -> None:
    claimed = entry().claim(worker="w1", token=TOKEN, now=T0, lease=timedelta(minutes=2))
    at = T0 + timedelta(minutes=1)
    cases = {
        "done": (claimed.done(at=at), InboxStatus.DONE, None),
        "parked": (claimed.parked(reason="ambiguous", at=at), InboxStatus.REVIEW, "ambiguous"),
        "rejected": (claimed.rejected(reason="bad", at=at), InboxStatus.FAILED, "bad"),
        "discarded": (
            claimed.parked(reason="ambiguous", at=at).discarded(reason="dup", at=at),
            InboxStatus.DISCARDED,
            "dup",
        ),
    }
    for result, status, error in cases.values():
        fields = _fields(result)
        assert {k: fields[k] for k in RELEASED} == RELEASED
        assert (result.status, result.last_error, result.processed_at) == (status, error, at)
        assert result.attempts == 1
    retried = entry(status=InboxStatus.PROCESSING, last_error="timeout").done(at=at)
    assert (retried.status, retried.last_error) == (InboxStatus.DONE, None)


@pytest.mark.parametrize(("attempts", "dead"), [(7, False), (8, True), (9, True)])
def test_an_entry_is_dead_lettered_after_8_attempts(attempts: int, dead: bool) -> None:
    failing = entry(status=InboxStatus.PROCESSING, attempts=attempts, claimed_by="w1")
    later = failing.retry_later(error="timeout", now=T0, policy=POLICY, jitter=0.0)
    assert (later.last_error, later.claimed_by) == ("timeout", None)
    if dead:
        assert (later.status, later.next_attempt_at) == (InboxStatus.DEAD, failing.next_attempt_at)
    else:
        assert later.status is InboxStatus.PENDING
        assert later.next_attempt_at == T0 + POLICY.delay(attempts, 0.0)
        assert later.next_attempt_at == T0 + timedelta(
            seconds=min(3600, 10 * 2 ** (attempts - 1)) / 2
        )


def test_a_revived_entry_starts_its_attempts_again() -> None:
    dead = entry(status=InboxStatus.DEAD, attempts=8, last_error="boom")
    revived = dead.revived(now=T0 + timedelta(days=1))
    assert (revived.status, revived.attempts, revived.next_attempt_at, revived.last_error) == (
        InboxStatus.PENDING,
        0,
        T0 + timedelta(days=1),
        "boom",
    )


def test_a_failed_event_lists_every_reason_on_one_line() -> None:
    failed = FailedEvent(
        id=UUID(int=1),
        raw="{}",
        errors=(
            FieldError(field="type", value="", reason="required"),
            FieldError(field="id", value="x", reason="not a uuid"),
        ),
        received_at=T0,
        updated_at=T0,
    )
    assert failed.reason == "type: required (got ''); id: not a uuid (got 'x')"
