"""Progress of long use cases: ``progress(done, total)`` after each chunk of work.

Use cases that walk the whole base (health assessment, lead rescoring, CLV prediction,
board placement) take an optional callback; the CLI draws a bar from it, a library caller
may log it or pass nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: ``progress(done, total)``: ``done`` of ``total`` items are finished.
Progress = Callable[[int, int], None]

#: Items handled between two progress reports.
CHUNK = 2_000


def chunks(
    items: Sequence[T], progress: Progress | None, *, size: int | None = None
) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size`` (default :data:`CHUNK`); after each slice is
    handled, ``progress`` hears of it."""
    size = size or CHUNK
    total = len(items)
    for start in range(0, total, size):
        yield items[start : start + size]
        if progress is not None:
            progress(min(start + size, total), total)
