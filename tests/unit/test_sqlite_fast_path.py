"""The SQLite statements bind times exactly as SQLAlchemy's own bind processor writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.sqlite.converters import stored_datetime, stored_datetime_cache
from tests.strategies import instants

DIALECT = sqlite.dialect()

_aware = st.builds(
    lambda at, hours: at.astimezone(timezone(timedelta(hours=hours))),
    instants,
    st.integers(-12, 12),
)


@given(st.lists(_aware, max_size=5))
def test_stored_times_are_what_sqlalchemy_binds(times: list[datetime]) -> None:
    general = t.contacts.c.created_at.type.dialect_impl(DIALECT).bind_processor(DIALECT)
    assert general is not None
    cached = stored_datetime_cache()
    for at in times:
        assert stored_datetime(at) == cached(at) == general(at)
