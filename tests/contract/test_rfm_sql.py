"""Both SQL sources of RFM agree with the Python computation (SQLite and PostgreSQL): the
grouped query over transactions, and the per-customer summary when it covers ``as_of``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
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
    rebuild_summary,
    rfm_customers,
    rfm_members,
    rfm_rows,
    rfm_segment_counts,
    summary_covers,
)
from crmcore.adapters.sql.types import AmountSum
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
#: Their per-customer summaries (filled as the migration's backfill does).
summaries = {
    table.name: Table(
        f"{table.name}_summary",
        metadata,
        Column(customer, String(40), primary_key=True),
        Column("frequency", Integer, nullable=False),
        Column("first_at", table.c.occurred_at.type, nullable=False),
        Column("last_at", table.c.occurred_at.type, nullable=False),
        Column("monetary", AmountSum, nullable=False),
    )
    for table, customer in ((aware, "contact_id"), (naive, "customer"))
}


def _load(engine: Engine, table: Table, history: list[tuple[str, datetime, Decimal]]) -> None:
    customer = "contact_id" if "contact_id" in table.c else "customer"
    with engine.begin() as conn:
        conn.execute(delete(table))
        if history:
            conn.execute(
                insert(table),
                [{customer: c, "occurred_at": at, "amount": amt} for c, at, amt in history],
            )
        rebuild_summary(conn, table, summaries[table.name])


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


def _newest_day(history: list[tuple[str, datetime, Decimal]]) -> Any:
    return max((at.date() for _, at, _ in history), default=RFM_AS_OF)


@settings(max_examples=25)
@given(history=transaction_histories())
@example(history=[])
@example(  # the newest transaction in the last second of its day, another one a day later
    history=[
        ("c0", datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), Decimal("0.10")),
        ("c0", datetime(2026, 4, 1, tzinfo=UTC), Decimal("0.20")),
        ("c1", datetime(2026, 3, 2, tzinfo=UTC), Decimal("-5")),
    ]
)
def test_the_summary_and_the_grouped_query_give_the_same_rfm(
    sql_engine: Engine, history: list[tuple[str, datetime, Decimal]]
) -> None:
    metadata.create_all(sql_engine)
    newest = _newest_day(history)
    days = [newest, newest + timedelta(days=40), newest - timedelta(days=1), RFM_AS_OF]
    for table in (aware, naive):
        summary = summaries[table.name]
        _load(sql_engine, table, history)
        with sql_engine.connect() as conn:
            for day in days:
                assert summary_covers(conn, summary, as_of=day) == (not history or day >= newest)
                python = compute_rfm(history, as_of=day)
                expected = {r.customer: (r.frequency, r.last_at, r.monetary) for r in python}
                for source in (None, summary):  # grouped query; summary where it covers
                    rows = rfm_rows(conn, table, as_of=day, summary=source)
                    assert {
                        r.customer: (r.frequency, r.last_at, r.monetary) for r in rows
                    } == expected
                    assert {r.customer: r.segment for r in rows} == {
                        r.customer: r.segment for r in python
                    }
                    counts = rfm_segment_counts(conn, table, as_of=day, summary=source)
                    assert counts == segment_counts(python)
                    for segment in (RfmSegment.VIP, RfmSegment.SLEEPING):
                        members = rfm_members(
                            conn, table, as_of=day, segment=segment, summary=source
                        )
                        assert members == sorted(r.customer for r in python if r.segment is segment)
