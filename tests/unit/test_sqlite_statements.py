"""The SQLite fast paths' statements stay derived from tables.py: each one prepares
against the tables' DDL, an ``INSERT`` refuses to leave out a column that needs a value,
and the inbox's bulk accept stores the rows its general insert stores."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.inbox import SqlInbox
from crmcore.adapters.sql.sqlite import statements as s
from crmcore.adapters.sql.sqlite.statements import StatementDrift, insert
from crmcore.domain.inbox import AcceptedEvent

AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    t.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("name", sorted(s.ALL))
def test_every_statement_prepares_against_the_tables(engine: Engine, name: str) -> None:
    sql = s.ALL[name]
    with engine.connect() as conn:
        # EXPLAIN compiles the statement (every table and column resolved) and runs nothing
        plan = conn.exec_driver_sql(f"EXPLAIN {sql}", (None,) * _parameters(sql)).fetchall()
    assert plan


def _parameters(sql: str) -> int:
    """How many parameters ``sql`` binds: ``?1``, ``?2``... (each may recur) or ``?``s."""
    numbered = [int(n) for n in re.findall(r"\?(\d+)", sql)]
    return max(numbered) if numbered else sql.count("?")


def _table(*extra: Column[Any]) -> Table:
    return Table(
        "things",
        MetaData(),
        Column("position", Integer, primary_key=True, autoincrement=True),
        Column("name", String(10), nullable=False),
        Column("note", String(10)),
        *extra,
    )


def test_an_insert_may_leave_out_nullable_and_generated_columns() -> None:
    assert insert(_table(), ["name"]) == "INSERT INTO things (name) VALUES (?)"
    assert (
        insert(_table(), ["name"], constants={"note": "'x'"}, ignore_conflicts=True)
        == "INSERT INTO things (name, note) VALUES (?, 'x') ON CONFLICT DO NOTHING"
    )


@pytest.mark.parametrize(
    ("table", "names", "why"),
    [
        (_table(), ["name", "colour"], "has no column colour"),
        (_table(), ["note"], "things.name is NOT NULL"),
        (_table(Column("version", Integer, default=1)), ["name"], "things.version has a Python"),
        (_table(Column("rank", Integer, nullable=False)), ["name"], "things.rank is NOT NULL"),
        (_table(), ["name", "name"], "written twice"),
    ],
)
def test_an_insert_that_drifted_from_its_table_is_refused(
    table: Table, names: list[str], why: str
) -> None:
    with pytest.raises(StatementDrift, match=why):
        insert(table, names)


def test_a_column_with_a_server_default_may_be_left_out() -> None:
    table = _table(Column("rank", Integer, nullable=False, server_default=text("0")))
    assert insert(table, ["name"]) == "INSERT INTO things (name) VALUES (?)"


def _stored(engine: Engine, write: Callable[[Connection], None]) -> list[tuple[Any, ...]]:
    """The raw inbox rows (with each value's SQLite type) ``write`` leaves, rolled back."""
    with engine.connect() as conn:
        write(conn)
        names = [c.name for c in t.event_inbox.c]
        types = ", ".join(f"typeof({c})" for c in names)
        rows = conn.exec_driver_sql(
            f"SELECT {', '.join(names)}, {types} FROM event_inbox ORDER BY event_id"
        ).fetchall()
        conn.rollback()
    return [tuple(r) for r in rows]


_customers = st.fixed_dictionaries(
    {},
    optional={
        "email": st.sampled_from(["a@example.com", "b@example.org", ""]),
        "user_id": st.text(max_size=4),
        "phone": st.sampled_from(["+79001234567", ""]),
    },
)
_events = st.builds(
    lambda n, kind, customer, at, hours, known: AcceptedEvent(
        event_id=f"e-{n}",
        type=kind,
        payload={"type": kind, "customer": customer},
        occurred_at=at.astimezone(timezone(timedelta(hours=hours))),
        # the validator hands over the payload's text when it has it
        text=json.dumps({"type": kind, "customer": customer}) if known else None,
    ),
    st.integers(0, 20),
    st.sampled_from(["purchase", "login"]),
    _customers | st.none(),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(-5, 5),
    st.booleans(),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(st.lists(_events, max_size=5, unique_by=lambda e: e.event_id))
def test_the_bulk_accept_stores_the_rows_the_general_insert_stores(
    engine: Engine, events: list[AcceptedEvent]
) -> None:
    def general(conn: Connection) -> None:
        SqlInbox(conn).add_many([e.entry(at=AT) for e in events])

    def fast(conn: Connection) -> None:
        assert SqlInbox(conn).accept_many(events + events[:1], at=AT) == len(events)

    assert _stored(engine, fast) == _stored(engine, general)
