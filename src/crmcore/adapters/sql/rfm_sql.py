"""RFM in SQL, portable across SQLite and PostgreSQL.

Two sources give the same rows (customer, frequency, last_at, monetary, segment):

* the grouped query over the transactions (:func:`rfm_select`): any ``as_of``; with a
  covering index on ``(customer, occurred_at, amount)`` SQLite answers it from the index;
* the per-customer summary ``customer_rfm`` kept by triggers and SQLite's inserts (ADR 0011,
  :func:`summary_select`): one row per customer, no grouping, but it counts *every*
  transaction, so it is RFM at ``as_of`` only when no transaction is later than that day
  (:func:`summary_covers`). The functions below take ``summary=`` and use it then, and
  the grouped query otherwise.

Recency thresholds are computed in Python as instants and sent as bound parameters
(see :func:`crmcore.domain.rfm.recent_since`), so the SQL needs no date arithmetic.
Amounts are summed by :class:`~crmcore.adapters.sql.types.AmountTotal`: exactly, on
SQLite in whole ten-thousandths, so both sources give the same monetary value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import Connection, Table, and_, case, delete, func, insert, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import DateTime

from crmcore.adapters.sql.types import AmountTotal
from crmcore.domain.rfm import (
    DRIFT_DAYS,
    RECENT_DAYS,
    CustomerRfm,
    RfmSegment,
    cutoff,
    recency_days,
    recent_since,
)


def _customer_column(table: Table) -> ColumnElement[Any]:
    for name in ("contact_id", "customer", "customer_id"):
        if name in table.c:
            return table.c[name]
    raise ValueError(f"table {table.name} has no contact_id/customer column")


def _instant(column: ColumnElement[Any], at: datetime) -> ColumnElement[Any]:
    """``at`` as a bound parameter stored like ``column``: naive UTC for a timezone-less
    DateTime."""
    column_type = column.type
    if isinstance(column_type, DateTime) and not column_type.timezone:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return literal(at, column_type)


def _segment(
    frequency: ColumnElement[Any], last_at: ColumnElement[Any], *, as_of: date
) -> ColumnElement[Any]:
    """The segment table of :func:`crmcore.domain.rfm.classify` as a ``CASE``."""
    recent = last_at >= _instant(last_at, recent_since(as_of, RECENT_DAYS))
    drifting = and_(
        last_at < _instant(last_at, recent_since(as_of, RECENT_DAYS)),
        last_at >= _instant(last_at, recent_since(as_of, DRIFT_DAYS)),
    )
    return case(
        (and_(frequency >= 10, recent), RfmSegment.VIP.value),
        (and_(frequency >= 3, recent), RfmSegment.LOYAL.value),
        (and_(frequency >= 3, drifting), RfmSegment.AT_RISK.value),
        (frequency >= 3, RfmSegment.LOST.value),
        (and_(frequency == 1, recent), RfmSegment.NEWBIE.value),
        (recent, RfmSegment.PROMISING.value),
        (drifting, RfmSegment.DRIFTING.value),
        else_=RfmSegment.SLEEPING.value,
    )


def rfm_select(table: Table, *, as_of: date) -> Any:
    """``SELECT customer, frequency, last_at, monetary, segment ... GROUP BY customer`` over
    the transactions on or before ``as_of``."""
    customer = _customer_column(table)
    occurred = table.c.occurred_at
    frequency = func.count()
    last_at = func.max(occurred)
    return (
        select(
            customer.label("customer"),
            frequency.label("frequency"),
            last_at.label("last_at"),
            AmountTotal(table.c.amount).label("monetary"),
            _segment(frequency, last_at, as_of=as_of).label("segment"),
        )
        .where(occurred < _instant(occurred, cutoff(as_of)))
        .group_by(customer)
    )


def summary_select(summary: Table, *, as_of: date) -> Any:
    """The same columns as :func:`rfm_select`, one summary row per customer: right for
    ``as_of`` when :func:`summary_covers` says so."""
    c = summary.c
    return select(
        _customer_column(summary).label("customer"),
        c.frequency.label("frequency"),
        c.last_at.label("last_at"),
        c.monetary.label("monetary"),
        _segment(c.frequency, c.last_at, as_of=as_of).label("segment"),
    )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _before_cutoff(newest: datetime | None, as_of: date) -> bool:
    return newest is None or _aware(newest) < cutoff(as_of)


def summary_covers(conn: Connection, summary: Table, *, as_of: date) -> bool:
    """No transaction after the ``as_of`` day: the summary, which counts every transaction,
    is then RFM at ``as_of``. One pass over the summary (``max(last_at)``)."""
    newest = conn.execute(select(func.max(summary.c.last_at))).scalar()
    return _before_cutoff(newest, as_of)


def per_customer(
    conn: Connection, table: Table, *, as_of: date, summary: Table | None = None
) -> Any:
    """:func:`summary_select` when ``summary`` is given and covers ``as_of``, else the
    grouped :func:`rfm_select` over ``table``."""
    if summary is not None and summary_covers(conn, summary, as_of=as_of):
        return summary_select(summary, as_of=as_of)
    return rfm_select(table, as_of=as_of)


def summary_aggregates(table: Table) -> Any:
    """``customer, count, min/max occurred_at, sum(amount)`` per customer of ``table``: what
    the summary holds (the migration's backfill)."""
    occurred = table.c.occurred_at
    customer = _customer_column(table)
    return select(
        customer, func.count(), func.min(occurred), func.max(occurred), AmountTotal(table.c.amount)
    ).group_by(customer)


def rebuild_summary(conn: Connection, table: Table, summary: Table) -> None:
    """Refill ``summary`` from ``table`` (a repair, or a summary without triggers)."""
    names = [_customer_column(summary).name, "frequency", "first_at", "last_at", "monetary"]
    conn.execute(delete(summary))
    conn.execute(insert(summary).from_select(names, summary_aggregates(table)))


@attrs.frozen(kw_only=True)
class RfmRow:
    """One customer's RFM as the database computed it."""

    customer: Any
    frequency: int
    last_at: datetime
    monetary: Decimal
    segment: RfmSegment


def rfm_rows(
    conn: Connection, table: Table, *, as_of: date, summary: Table | None = None
) -> list[RfmRow]:
    """Every customer with a transaction on or before ``as_of``, classified by the database."""
    return [
        RfmRow(
            customer=row.customer,
            frequency=int(row.frequency),
            last_at=_aware(row.last_at),
            monetary=Decimal(str(row.monetary)),
            segment=RfmSegment(row.segment),
        )
        for row in conn.execute(per_customer(conn, table, as_of=as_of, summary=summary))
    ]


def _counts(rows: Any) -> dict[RfmSegment, int]:
    counts = dict.fromkeys(RfmSegment, 0)
    for segment, count in rows:
        counts[RfmSegment(segment)] = int(count)
    return counts


def rfm_segment_counts(
    conn: Connection, table: Table, *, as_of: date, summary: Table | None = None
) -> dict[RfmSegment, int]:
    """Customers per segment (every segment present), 8 rows back from the database.

    With ``summary``, one pass over it counts the segments and finds the newest
    ``last_at``; the grouped query runs only when that is after the ``as_of`` day.
    """
    if summary is not None:
        rows = summary_select(summary, as_of=as_of).subquery()
        query = select(rows.c.segment, func.count(), func.max(rows.c.last_at))
        found = conn.execute(query.group_by(rows.c.segment)).all()
        newest = max((_aware(r[2]) for r in found), default=None)
        if _before_cutoff(newest, as_of):
            return _counts((r[0], r[1]) for r in found)
    grouped = rfm_select(table, as_of=as_of).subquery()
    query = select(grouped.c.segment, func.count()).group_by(grouped.c.segment)
    return _counts(conn.execute(query))


def rfm_members(
    conn: Connection,
    table: Table,
    *,
    as_of: date,
    segment: RfmSegment,
    summary: Table | None = None,
) -> Sequence[Any]:
    """The customers in ``segment`` at ``as_of``, ordered."""
    rows = per_customer(conn, table, as_of=as_of, summary=summary).subquery()
    query = select(rows.c.customer).where(rows.c.segment == segment.value)
    return [row[0] for row in conn.execute(query.order_by(rows.c.customer))]


def rfm_customers(
    conn: Connection, table: Table, *, as_of: date, summary: Table | None = None
) -> list[CustomerRfm[Any]]:
    """The port's shape (``TransactionRepository.rfm``) with the segment the database chose."""
    return [
        CustomerRfm(
            customer=row.customer,
            frequency=row.frequency,
            last_at=row.last_at,
            monetary=row.monetary,
            recency=recency_days(row.last_at, as_of),
            segment=row.segment,
        )
        for row in rfm_rows(conn, table, as_of=as_of, summary=summary)
    ]
