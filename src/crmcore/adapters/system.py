"""Clocks and id sources: the real ones and deterministic ones for tests and demos."""

from __future__ import annotations

import os
import struct
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from itertools import islice, repeat
from operator import lshift, or_, rshift
from uuid import UUID, SafeUUID


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told; ``advance`` moves it on."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.at += delta


def uuid_of(value: int) -> UUID:
    """``UUID(int=value)`` for a value known to fit 128 bits, at a third of the cost
    (``UUID.__init__`` checks its five ways of being called; the slots are set directly,
    as ``uuid`` itself does in ``UUID.__setstate__``)."""
    made = object.__new__(UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", SafeUUID.unknown)
    return made


def uuid7_from(unix_ms: int, rand: int) -> UUID:
    """Assemble an RFC 9562 version-7 UUID from a millisecond timestamp and 74 random bits."""
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid_of(value)


_forks = 0  # forks this process went through as the child: an id source refills after one


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class Uuid7Source:
    """Time-ordered UUIDv7 ids, monotonic within one process.

    Random bits come from ``os.urandom`` read 8 KiB at a time (one system call per 1,000
    ids rather than two per id); a forked child refills before its first id, so parent
    and child never share random bits.
    """

    _BUFFER = 8 * 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._random = b""
        self._at = 0
        self._fork = -1

    def _bits(self) -> int:
        """64 fresh random bits."""
        if self._at + 8 > len(self._random) or self._fork != _forks:
            self._random, self._at, self._fork = os.urandom(self._BUFFER), 0, _forks
        at = self._at
        self._at = at + 8
        return int.from_bytes(self._random[at : at + 8], "big")

    def new(self) -> UUID:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                self._counter += 1
                now_ms = self._last_ms
                if self._counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                    now_ms += 1
                    self._counter = 0
            else:
                self._counter = self._bits() & 0x3FF
            self._last_ms = now_ms
            rand = (self._counter << 62) | self._bits() >> 2
            return uuid7_from(now_ms, rand)

    def new_many(self, count: int) -> list[UUID]:
        """``count`` ids as :meth:`new` makes them, a millisecond's stretch at a time and
        without a Python step per id (a million ids are made at a time)."""
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms, counter = self._last_ms, self._counter
            else:
                counter = (self._bits() & 0x3FF) - 1
            rands = map(rshift, struct.unpack(f">{count}Q", os.urandom(8 * count)), repeat(2))
            ints: list[int] = []
            while len(ints) < count:
                first = counter + 1
                if first > 0xFFF:  # as in new(): borrow the next millisecond
                    now_ms += 1
                    first = 0
                take = min(count - len(ints), 0x1000 - first)
                high = ((now_ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (0b10 << 62)
                counters = map(lshift, range(first, first + take), repeat(64))
                ints.extend(map(or_, map(or_, repeat(high), counters), islice(rands, take)))
                counter = first + take - 1
            self._last_ms, self._counter = now_ms, counter
            # uuid_of, inlined and mapped
            ids: list[UUID] = list(map(object.__new__, repeat(UUID, count)))
            put = object.__setattr__
            deque(map(put, ids, repeat("int"), ints), maxlen=0)
            deque(map(put, ids, repeat("is_safe"), repeat(SafeUUID.unknown, count)), maxlen=0)
            return ids


class SequentialIds:
    """Deterministic, time-ordered ids for tests and seeded demos."""

    def __init__(self, *, seed: int = 0, start_ms: int = 1_700_000_000_000) -> None:
        self._next = 0
        self._seed = seed & ((1 << 30) - 1)
        self._start_ms = start_ms
        self._lock = threading.Lock()

    def new(self) -> UUID:
        with self._lock:
            n = self._next
            self._next += 1
        return uuid7_from(self._start_ms + n // 4096, ((n % 4096) << 62) | (self._seed << 32) | n)

    def new_many(self, count: int) -> list[UUID]:
        return [self.new() for _ in range(count)]
