"""The SQLite bulk path writes exactly what SQLAlchemy's own bind processors write."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.inbox import _payloads
from crmcore.adapters.sql.sqlite.converters import converter_for, reader_for
from tests.strategies import amounts, instants, json_objects

DIALECT = sqlite.dialect()


def _generic(column: Column[Any], value: Any) -> Any:
    kind = column.type
    processor = kind.dialect_impl(DIALECT).bind_processor(DIALECT)
    return processor(value) if processor is not None else value


def _same(column: Column[Any], value: Any) -> None:
    fast = converter_for(column, DIALECT)
    produced = fast(value) if fast is not None else value
    assert produced == _generic(column, value)


@given(value=st.uuids())
def test_uuids(value: Any) -> None:
    _same(t.contacts.c.id, value)


@given(value=instants, offset=st.integers(-12, 12))
def test_aware_datetimes_in_any_zone(value: datetime, offset: int) -> None:
    _same(t.contacts.c.created_at, value.astimezone(timezone(timedelta(hours=offset))))


@given(value=json_objects)
def test_json(value: Any) -> None:
    _same(t.contacts.c.attributes, value)


@given(value=st.booleans())
def test_booleans(value: bool) -> None:
    _same(t.contacts.c.archived, value)


@given(value=amounts)
def test_amounts(value: Any) -> None:
    _same(t.deals.c.amount, value)


@given(value=st.dates(min_value=date(1, 1, 1)))
def test_dates(value: date) -> None:
    _same(t.deals.c.expected_close_date, value)


@given(value=st.text(max_size=20))
def test_text_passes_through(value: str) -> None:
    _same(t.contacts.c.first_name, value)


# -- reading: the fast readers give what SQLAlchemy's result processors give ------------


def _read_same(column: Column[Any], value: Any) -> None:
    stored = _generic(column, value)
    processor = column.type.dialect_impl(DIALECT).result_processor(DIALECT, None)
    expected = processor(stored) if processor is not None else stored
    fast = reader_for(column, DIALECT)
    got = fast(stored) if fast is not None else stored
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(expected, datetime):
        assert got.tzinfo == expected.tzinfo


@given(value=st.uuids())
def test_reading_uuids(value: Any) -> None:
    _read_same(t.contacts.c.id, value)


@given(value=instants, offset=st.integers(-12, 12))
def test_reading_datetimes(value: datetime, offset: int) -> None:
    _read_same(t.contacts.c.created_at, value.astimezone(timezone(timedelta(hours=offset))))


@given(value=json_objects)
def test_reading_json(value: Any) -> None:
    _read_same(t.contacts.c.attributes, value)


@given(value=st.booleans())
def test_reading_booleans(value: bool) -> None:
    _read_same(t.contacts.c.archived, value)


@given(value=amounts)
def test_reading_amounts(value: Any) -> None:
    _read_same(t.deals.c.amount, value)


@given(value=st.dates(min_value=date(1, 1, 1)))
def test_reading_dates(value: date) -> None:
    _read_same(t.deals.c.expected_close_date, value)


@given(value=st.text(max_size=20))
def test_reading_text(value: str) -> None:
    _read_same(t.contacts.c.first_name, value)


_blanks = st.text(" \t\r\n", max_size=2)
_payload_texts = st.one_of(
    st.builds(
        lambda value, indent, before, after: before + json.dumps(value, indent=indent) + after,
        json_objects,
        st.none() | st.integers(0, 2),
        _blanks,
        _blanks,
    ),
    st.text(max_size=12),  # anything: junk, a bare number, "NaN", "[1", "1,2" ...
    st.sampled_from(["", "{}", "{} {}", "[1", "1,2", "NaN", ' "x" ', "\ufeff{}"]),
)


@given(st.lists(_payload_texts, max_size=5))
def test_taken_payloads_are_what_json_loads_reads(texts: list[str]) -> None:
    rows = [("e", "purchase", text) for text in texts]
    expected: list[Any] = []
    for text in texts:
        try:
            expected.append(json.loads(text))
        except ValueError as exc:
            with pytest.raises(type(exc)):
                _payloads(rows)
            return
    assert _payloads(rows) == expected
    assert _payloads([("e", "purchase", {"a": 1})]) == [{"a": 1}]  # decoded by the driver
