"""SQLite times: the text ``UTCDateTime`` binds (what the SQLite statements bind too) is
naive UTC, and it reads back as the same instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.sqlite.converters import stored_datetime
from tests.strategies import instants

DIALECT = sqlite.dialect()

_aware = st.builds(
    lambda at, hours: at.astimezone(timezone(timedelta(hours=hours))),
    instants,
    st.integers(-12, 12),
)


_TYPE = t.contacts.c.created_at.type.dialect_impl(DIALECT)


@given(st.lists(_aware, max_size=5))
def test_stored_times_are_naive_utc_text_read_back_equal(times: list[datetime]) -> None:
    bind = _TYPE.bind_processor(DIALECT)
    read = _TYPE.result_processor(DIALECT, None)
    assert bind is not None
    assert read is not None
    for at in times:
        text = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        assert stored_datetime(at) == bind(at) == text
        back = read(text)
        assert back == at
        assert back.utcoffset() == timedelta(0)


def test_stored_time_text_without_fraction_or_with_a_zone_reads_as_utc() -> None:
    read = _TYPE.result_processor(DIALECT, None)
    assert read is not None
    assert read(None) is None
    assert read("2026-01-05 09:30:00") == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert read("2026-01-05T09:30:00+02:00") == datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    zoned = read("2026-01-05T09:30:00+02:00")
    assert zoned is not None
    assert zoned.utcoffset() == timedelta(0)
