"""The SQLite bulk path writes exactly what SQLAlchemy's own bind processors write."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
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


_aware = st.builds(
    lambda at, hours: at.astimezone(timezone(timedelta(hours=hours))),
    instants,
    st.integers(-12, 12),
)
#: A column of each converted type, and its values.
_CASES: list[tuple[Column[Any], st.SearchStrategy[Any]]] = [
    (t.contacts.c.id, st.uuids()),
    (t.contacts.c.created_at, _aware),
    (t.contacts.c.attributes, json_objects),
    (t.contacts.c.archived, st.booleans()),
    (t.deals.c.amount, amounts),
    (t.deals.c.expected_close_date, st.dates(min_value=date(1, 1, 1))),
    (t.contacts.c.first_name, st.text(max_size=20)),
]


@settings(max_examples=700)  # about 100 per column type
@given(st.sampled_from(_CASES).flatmap(lambda case: st.tuples(st.just(case[0]), case[1])))
def test_the_sqlite_converters_write_and_read_as_sqlalchemy(case: tuple[Column[Any], Any]) -> None:
    column, value = case
    _same(column, value)
    _read_same(column, value)


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
