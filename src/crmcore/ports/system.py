"""Time and identity: injected so that tests and replays are deterministic."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class Clock(Protocol):
    """Tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class IdSource(Protocol):
    """Makes new unique ids (time-ordered UUIDv7 in production)."""

    def new(self) -> UUID: ...
    def new_many(self, count: int) -> list[UUID]:
        """``count`` new ids, in the order :meth:`new` called ``count`` times gives."""
        ...
