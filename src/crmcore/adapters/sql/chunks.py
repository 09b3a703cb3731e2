"""Long key lists cut into pieces for ``IN (...)`` (SQLite allows 32,766 bound values per
statement; PostgreSQL many more)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Keys per ``IN (...)`` list.
IN_CHUNK = 5_000


def in_chunks(keys: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``keys`` in consecutive pieces of at most ``size``."""
    for start in range(0, len(keys), size):
        yield keys[start : start + size]
