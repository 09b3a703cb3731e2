"""The SQLite bulk path writes exactly what SQLAlchemy's own bind processors write."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.sqlite.converters import converter_for
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
def test_the_sqlite_converters_write_as_sqlalchemy(case: tuple[Column[Any], Any]) -> None:
    column, value = case
    _same(column, value)
