"""SQLite sums amounts exactly (whole ten-thousandths), whatever the order of the rows."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import sqlite

from crmcore.adapters.sql.types import Amount, AmountSum, AmountTotal

metadata = MetaData()
rows = Table(
    "rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Amount, nullable=False),
)
totals = Table("totals", metadata, Column("id", Integer, primary_key=True), Column("m", AmountSum))

#: Four decimals at most, as every ISO-4217 minor unit; up to a billion per row.
four_places = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://")
    metadata.create_all(eng)
    yield eng
    eng.dispose()


def _total(engine: Engine, amounts: list[Decimal]) -> Decimal | None:
    with engine.begin() as conn:
        conn.execute(delete(rows))
        if amounts:
            conn.execute(insert(rows), [{"amount": a} for a in amounts])
        return conn.execute(select(AmountTotal(rows.c.amount))).scalar()


@settings(max_examples=60)
@given(amounts=st.lists(four_places, max_size=300))
@example(amounts=[Decimal("0.1"), Decimal("0.2"), Decimal("-0.3")])
@example(amounts=[Decimal("0.1")] * 1000)  # as binary floats: 99.9999999999986
def test_the_sqlite_sum_is_exact_and_independent_of_the_order(
    engine: Engine, amounts: list[Decimal]
) -> None:
    total = _total(engine, amounts)
    if not amounts:
        assert total is None
        return
    assert total == sum(amounts, Decimal(0))
    assert _total(engine, amounts[::-1]) == total


@pytest.mark.parametrize(
    ("stored", "read"),
    [(123400, "12.34"), (1_000_000, "100"), (-5, "-0.0005"), (0, "0")],
)
def test_ten_thousandths_read_back_as_plain_decimals(stored: int, read: str) -> None:
    value = AmountSum().process_result_value(stored, sqlite.dialect())
    assert value is not None
    assert str(value) == read


def test_a_total_beyond_the_integer_range_reads_back_approximately() -> None:
    value = AmountSum().process_result_value(1.5e19, sqlite.dialect())
    assert value == Decimal("1.5e15")


def test_the_sum_round_trips_through_the_column(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(totals))
        conn.execute(insert(totals), [{"id": 1, "m": Decimal("-12.3456")}])
        assert conn.execute(select(totals.c.m)).scalar() == Decimal("-12.3456")


@pytest.mark.parametrize(
    "amounts",
    [
        [Decimal("999999999999999.9999")],  # past 2**63 ten-thousandths: was clamped
        [Decimal("999999999999999.9999"), Decimal(1)],  # was sum's "integer overflow"
        [Decimal("-999999999999999.9999")] * 3,
    ],
)
def test_totals_at_moneys_bound_come_back_approximately_not_as_an_error(
    engine: Engine, amounts: list[Decimal]
) -> None:
    total = _total(engine, amounts)
    exact = sum(amounts, Decimal(0))
    assert total is not None
    assert abs(total - exact) <= abs(exact) * Decimal("1e-15")


def test_a_total_is_exact_up_to_2_to_the_53_ten_thousandths(engine: Engine) -> None:
    amounts = [Decimal("450359962737.0495"), Decimal("450359962737.0496")]  # 2**53 - 1
    assert _total(engine, amounts) == sum(amounts, Decimal(0))
