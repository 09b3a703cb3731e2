"""The SQL compiler selects exactly what the Python evaluator selects (SQLite, PostgreSQL),
and values that look like SQL stay values."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    delete,
    insert,
    select,
)

from crmcore.adapters.sql.filters_sql import compile_filter
from crmcore.domain.filters import FieldType, matches, parse_filter
from tests.contract.sql_engines import sql_engine
from tests.strategies import FILTER_NOW, FILTER_TEST_FIELDS, filter_records, filter_trees

__all__ = ["sql_engine"]

CATALOGUE = {name: FieldType(kind) for name, kind in FILTER_TEST_FIELDS.items()}
metadata = MetaData()
people = Table(
    "filter_people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("tier", String(40)),
    Column("spend", Numeric(10, 2)),
    Column("active", Boolean),
    Column("seen_at", DateTime(timezone=True)),
)
COLUMNS: dict[str, Any] = {f"c.{c.name}": c for c in people.c if c.name != "id"}


def _members(engine: Engine, data: dict[str, Any]) -> list[int]:
    node = parse_filter(data, CATALOGUE).unwrap()
    where = compile_filter(node, COLUMNS, now=FILTER_NOW)
    with engine.connect() as conn:
        return list(conn.scalars(select(people.c.id).where(where).order_by(people.c.id)))


def _load(engine: Engine, records: list[dict[str, Any]]) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(delete(people))
        if records:
            conn.execute(
                insert(people),
                [
                    {"id": i, **{k.removeprefix("c."): v for k, v in r.items()}}
                    for i, r in enumerate(records)
                ],
            )


@settings(max_examples=60)
@given(data=filter_trees, records=filter_records)
def test_sql_and_python_select_the_same_members(
    sql_engine: Engine, data: dict[str, Any], records: list[dict[str, Any]]
) -> None:
    _load(sql_engine, records)
    node = parse_filter(data, CATALOGUE).unwrap()
    expected = [i for i, r in enumerate(records) if matches(node, r, now=FILTER_NOW)]
    assert _members(sql_engine, data) == expected


def test_injection_looking_values_stay_values(sql_engine: Engine) -> None:
    evil = "x' OR '1'='1"
    records = [{"c.name": evil, "c.tier": "gold"}, {"c.name": "bob", "c.tier": "gold"}]
    _load(sql_engine, [{f: r.get(f) for f in FILTER_TEST_FIELDS} for r in records])
    assert _members(sql_engine, {"field": "c.name", "op": "eq", "value": evil}) == [0]
    assert (
        _members(sql_engine, {"field": "c.name", "op": "eq", "value": "'; DROP TABLE x; --"}) == []
    )
    assert _members(sql_engine, {"field": "c.name", "op": "contains", "value": "%"}) == []
    assert _members(sql_engine, {"field": "c.name", "op": "contains", "value": "' OR"}) == [0]
    node = parse_filter({"field": "c.name", "op": "eq", "value": evil}, CATALOGUE).unwrap()
    sql = str(compile_filter(node, COLUMNS, now=FILTER_NOW).compile())
    assert "OR" not in sql
    assert evil not in sql
