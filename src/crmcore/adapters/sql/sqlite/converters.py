"""Value converters for the SQLite bulk path: the same text SQLAlchemy's bind processors
write, without their per-value overhead (tests keep the two identical)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Column, Date, Dialect, Uuid

from crmcore.adapters.sql.types import Amount, UTCDateTime

Converter = Callable[[Any], Any]


def _uuid(value: UUID) -> str:
    return value.hex


#: The stored text of a UTC time's fields (``%`` formatting: half the cost of ``isoformat``
#: of an aware time, a third of an f-string's).
_STORED_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def stored_datetime(value: datetime) -> str:
    """The text an aware datetime is stored as on SQLite (naive UTC)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the storage needs aware times")
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


def stored_datetime_cache() -> Converter:
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


def _bool(value: bool) -> int:
    return 1 if value else 0


def _decimal(value: Decimal) -> str:
    return str(value)


def _date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def converter_for(column: Column[Any], dialect: Dialect) -> Converter | None:
    """A fast converter for a column's non-null values, ``None`` when values pass as is."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return stored_datetime_cache()
    if isinstance(kind, Amount):
        return _decimal
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, JSON):
        return json.dumps
    if isinstance(kind, Boolean):
        return _bool
    if isinstance(kind, Date):
        return _date
    return kind.dialect_impl(dialect).bind_processor(dialect)
