"""Id sources make valid, time-ordered UUIDv7; clocks are timezone-aware."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from uuid import UUID, SafeUUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.system import (
    FixedClock,
    SequentialIds,
    SystemClock,
    Uuid7Source,
    uuid7_from,
)


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**74 - 1))
def test_uuid7_layout(ms: int, rand: int) -> None:
    value = uuid7_from(ms, rand)
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"
    assert value.int >> 80 == ms
    assert value == UUID(int=value.int)
    assert str(value) == str(UUID(int=value.int))
    assert hash(value) == hash(UUID(int=value.int))
    assert value.is_safe is SafeUUID.unknown


def test_a_forked_child_draws_other_random_bits() -> None:
    source = Uuid7Source()
    source.new()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(write, source.new().bytes)
        os._exit(0)
    os.waitpid(pid, 0)
    child = UUID(bytes=os.read(read, 16))
    assert child.int & ((1 << 62) - 1) != source.new().int & ((1 << 62) - 1)


def test_uuid7_source_is_strictly_increasing() -> None:
    source = Uuid7Source()
    ids = [source.new() for _ in range(50_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 5_000)), min_size=1, max_size=4))
def test_uuid7_source_new_many_continues_the_one_by_one_sequence(
    calls: list[tuple[bool, int]],
) -> None:
    """Batches and single ids interleave into one strictly increasing, valid sequence
    (batches of over 4,096 ids borrow the next milliseconds, as ``new`` does)."""
    source = Uuid7Source()
    ids = []
    for batch, count in calls:
        ids.extend(source.new_many(count) if batch else [source.new() for _ in range(count)])
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 and i.variant == "specified in RFC 4122" for i in ids)


def test_sequential_ids_new_many_equals_new_called_that_often() -> None:
    one, many = SequentialIds(seed=5), SequentialIds(seed=5)
    assert many.new_many(3) + many.new_many(2) == [one.new() for _ in range(5)]


def test_sequential_ids_are_deterministic_and_ordered() -> None:
    first, second = SequentialIds(seed=3), SequentialIds(seed=3)
    run1 = [first.new() for _ in range(10_000)]
    run2 = [second.new() for _ in range(10_000)]
    assert run1 == run2
    assert run1 == sorted(run1)
    assert all(i.version == 7 for i in run1[:100])


def test_clocks_are_aware() -> None:
    assert SystemClock().now().tzinfo is not None
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone"):
        FixedClock(datetime(2026, 1, 1))
