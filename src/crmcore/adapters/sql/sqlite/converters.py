"""Times as SQLite stores them: the text ``UTCDateTime`` binds on SQLite, and the SQLite
statements with it (a test checks it against an independent ``strftime``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: The stored text of a UTC time's fields (``%`` formatting: half the cost of ``isoformat``
#: of an aware time, a third of an f-string's).
_STORED_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def stored_datetime(value: datetime) -> str:
    """The text an aware datetime is stored as on SQLite (naive UTC)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the storage needs timezone-aware times")
        value = value.astimezone(UTC)
    return _STORED_FORMAT % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def stored_datetime_cache() -> Callable[[datetime], str]:
    """:func:`stored_datetime` remembering its recent answers (times repeat in a batch)."""
    cache: dict[datetime, str] = {}

    def convert(value: datetime) -> str:
        text = cache.get(value)
        if text is None:
            if len(cache) > 4096:
                cache.clear()
            text = cache[value] = stored_datetime(value)
        return text

    return convert
