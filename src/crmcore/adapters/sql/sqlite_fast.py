"""Value converters for the SQLite bulk path: the same text SQLAlchemy's bind processors
write, produced without their per-value overhead (a test keeps the two identical)."""

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


def _datetime_converter() -> Converter:
    cache: dict[datetime, str] = {}

    def convert(value: datetime) -> str:
        text = cache.get(value)
        if text is None:
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: the storage needs aware times")
            d = value.astimezone(UTC)
            text = (
                f"{d.year:04d}-{d.month:02d}-{d.day:02d} "
                f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond:06d}"
            )
            if len(cache) > 4096:
                cache.clear()
            cache[value] = text
        return text

    return convert


def _json(value: Any) -> str:
    if not value and isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


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
        return _datetime_converter()
    if isinstance(kind, Amount):
        return _decimal
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, Boolean):
        return _bool
    if isinstance(kind, Date):
        return _date
    processor = kind.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else None
