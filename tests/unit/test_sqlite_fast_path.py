"""The SQLite bulk path writes exactly what SQLAlchemy's own bind processors write."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.event_processing import _fact_json, _fact_text
from crmcore.adapters.sql.inbox import _payloads
from crmcore.adapters.sql.sqlite.converters import converter_for, reader_for
from crmcore.domain.facts import Fact, FactKind
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from tests.strategies import amounts, instants, json_objects, json_values

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


@given(amounts, st.sampled_from(["RUB", "USD"]))
def test_money_facts_are_stored_as_the_json_converter_writes_them(amount: Any, cur: str) -> None:
    fact = Fact(
        contact_id=ContactId(UUID(int=1)),
        event_id="e1",
        kind=FactKind.PURCHASE,
        value=Money(amount, cur),
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    fast = converter_for(t.pipeline_facts.c.value, DIALECT)
    assert fast is not None
    assert _fact_text(fact) == fast(_fact_json(fact))


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


def _fact_values(kind: FactKind) -> st.SearchStrategy[Any]:
    if kind in (FactKind.PURCHASE, FactKind.BILLING):
        return st.builds(Money, amounts, st.sampled_from(["RUB", "USD", "EUR"])) | st.none()
    if kind is FactKind.SENTIMENT:
        return st.builds(
            Sentiment,
            label=st.sampled_from(SentimentLabel),
            confidence=st.floats(0, 1) | st.sampled_from([0, 1]),
        )
    return json_values | st.floats() | st.text(max_size=8)


@given(st.sampled_from(FactKind).flatmap(lambda k: st.tuples(st.just(k), _fact_values(k))))
def test_every_fact_is_stored_as_the_json_converter_writes_it(kind_value: Any) -> None:
    kind, value = kind_value
    fact = Fact(
        contact_id=ContactId(UUID(int=1)),
        event_id="e1",
        kind=kind,
        name="n",
        value=value,
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    fast = converter_for(t.pipeline_facts.c.value, DIALECT)
    assert fast is not None
    assert _fact_text(fact) == (None if value is None else fast(_fact_json(fact)))


_json_trees = st.recursive(
    json_values | st.floats() | st.text(max_size=5),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids),
    max_leaves=8,
)


@given(_json_trees)
def test_json_text_is_what_json_dumps_writes(value: Any) -> None:
    fast = converter_for(t.contacts.c.attributes, DIALECT)
    assert fast is not None
    assert fast(value) == json.dumps(value)


def test_json_text_refuses_what_json_dumps_refuses() -> None:
    fast = converter_for(t.contacts.c.attributes, DIALECT)
    assert fast is not None
    circular: list[Any] = []
    circular.append(circular)
    for bad in (circular, {"x": object()}, [{1, 2}]):
        with pytest.raises((TypeError, ValueError)) as expected:
            json.dumps(bad)
        with pytest.raises(expected.type, match=str(expected.value)):
            fast(bad)
    assert fast({"ok": [1]}) == '{"ok": [1]}'  # nothing left behind by a refusal
