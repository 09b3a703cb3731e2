"""The grouped RFM query agrees with the Python computation (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given, settings
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    delete,
    insert,
)

from crmcore.adapters.sql.rfm_sql import (
    rfm_customers,
    rfm_members,
    rfm_rows,
    rfm_segment_counts,
)
from crmcore.domain.rfm import RfmSegment, compute_rfm, segment_counts
from tests.contract.sql_engines import sql_engine
from tests.strategies import RFM_AS_OF, transaction_histories

__all__ = ["sql_engine"]

metadata = MetaData()
#: Two tables: one with a timezone-aware column, one naive (the SQLite default style).
aware = Table(
    "tx_aware",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", String(40), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
)
naive = Table(
    "tx_naive",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer", String(40), nullable=False),
    Column("occurred_at", DateTime(), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Index("tx_naive_covering", "customer", "occurred_at", "amount"),
)


def _load(engine: Engine, table: Table, history: list[tuple[str, datetime, Decimal]]) -> None:
    customer = "contact_id" if "contact_id" in table.c else "customer"
    with engine.begin() as conn:
        conn.execute(delete(table))
        if history:
            conn.execute(
                insert(table),
                [{customer: c, "occurred_at": at, "amount": amt} for c, at, amt in history],
            )


@settings(max_examples=25)
@given(history=transaction_histories())
def test_sql_and_python_give_the_same_rfm(
    sql_engine: Engine, history: list[tuple[str, datetime, Decimal]]
) -> None:
    metadata.create_all(sql_engine)
    expected = {
        r.customer: (r.frequency, r.segment, r.monetary)
        for r in compute_rfm(history, as_of=RFM_AS_OF)
    }
    for table in (aware, naive):
        _load(sql_engine, table, history)
        with sql_engine.connect() as conn:
            rows = rfm_rows(conn, table, as_of=RFM_AS_OF)
            counts = rfm_segment_counts(conn, table, as_of=RFM_AS_OF)
            vip = rfm_members(conn, table, as_of=RFM_AS_OF, segment=RfmSegment.VIP)
            shaped = rfm_customers(conn, table, as_of=RFM_AS_OF)
        got = {r.customer: (r.frequency, r.segment, r.monetary) for r in rows}
        assert got == expected
        assert counts == segment_counts(compute_rfm(history, as_of=RFM_AS_OF))
        python = {r.customer: r for r in compute_rfm(history, as_of=RFM_AS_OF)}
        assert {r.customer: (r.recency, r.active) for r in shaped} == {
            c: (r.recency, r.active) for c, r in python.items()
        }
        assert vip == sorted(c for c, v in expected.items() if v[1] is RfmSegment.VIP)
