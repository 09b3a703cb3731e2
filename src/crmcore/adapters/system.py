"""Clocks and id sources: the real ones and deterministic ones for tests and demos."""

from __future__ import annotations

import os
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID


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


def uuid7_from(unix_ms: int, rand: int) -> UUID:
    """Assemble an RFC 9562 version-7 UUID from a millisecond timestamp and 74 random bits."""
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return UUID(int=value)


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
            return self._next()

    def _next(self) -> UUID:
        """The next id (the caller holds the lock)."""
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
        """``count`` ids, as :meth:`new` makes them one after the other within one
        millisecond: the clock is read once and the random bits are drawn in one piece
        (``os.urandom``: fresh in a forked child too)."""
        if count <= 0:
            return []
        with self._lock:
            out = [self._next()]
            ms, counter = self._last_ms, self._counter
            for bits in struct.unpack(f">{count - 1}Q", os.urandom(8 * (count - 1))):
                counter += 1
                if counter > 0xFFF:  # as in ``new``: borrow the next millisecond
                    ms, counter = ms + 1, 0
                out.append(uuid7_from(ms, (counter << 62) | bits >> 2))
            self._last_ms, self._counter = ms, counter
            return out


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
