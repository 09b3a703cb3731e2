"""RFM in one grouped SQL query (C7), portable across SQLite and PostgreSQL.

Recency thresholds are computed in Python as instants and sent as bound parameters
(see :func:`crmcore.domain.rfm.recent_since`), so the SQL needs no date arithmetic.
With a covering index on ``(customer, occurred_at, amount)`` SQLite answers it from the
index alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import Connection, Table, and_, case, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import DateTime

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


def _instant(table: Table, at: datetime) -> datetime:
    """``at`` as the column stores it: naive UTC for a timezone-less DateTime."""
    column_type = table.c.occurred_at.type
    if isinstance(column_type, DateTime) and not column_type.timezone:
        return at.astimezone(UTC).replace(tzinfo=None)
    return at


def rfm_select(table: Table, *, as_of: date) -> Any:
    """``SELECT customer, frequency, last_at, monetary, segment ... GROUP BY customer``."""
    customer = _customer_column(table)
    occurred = table.c.occurred_at
    frequency = func.count()
    last_at = func.max(occurred)
    recent = last_at >= literal(_instant(table, recent_since(as_of, RECENT_DAYS)), occurred.type)
    drifting = and_(
        last_at < literal(_instant(table, recent_since(as_of, RECENT_DAYS)), occurred.type),
        last_at >= literal(_instant(table, recent_since(as_of, DRIFT_DAYS)), occurred.type),
    )
    segment = case(
        (and_(frequency >= 10, recent), RfmSegment.VIP.value),
        (and_(frequency >= 3, recent), RfmSegment.LOYAL.value),
        (and_(frequency >= 3, drifting), RfmSegment.AT_RISK.value),
        (frequency >= 3, RfmSegment.LOST.value),
        (and_(frequency == 1, recent), RfmSegment.NEWBIE.value),
        (recent, RfmSegment.PROMISING.value),
        (drifting, RfmSegment.DRIFTING.value),
        else_=RfmSegment.SLEEPING.value,
    )
    return (
        select(
            customer.label("customer"),
            frequency.label("frequency"),
            last_at.label("last_at"),
            func.sum(table.c.amount).label("monetary"),
            segment.label("segment"),
        )
        .where(occurred < literal(_instant(table, cutoff(as_of)), occurred.type))
        .group_by(customer)
    )


@attrs.frozen(kw_only=True)
class RfmRow:
    """One customer's RFM as the database computed it."""

    customer: Any
    frequency: int
    last_at: datetime
    monetary: Decimal
    segment: RfmSegment


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def rfm_rows(conn: Connection, table: Table, *, as_of: date) -> list[RfmRow]:
    """Every customer with a transaction on or before ``as_of``, classified by the database."""
    return [
        RfmRow(
            customer=row.customer,
            frequency=int(row.frequency),
            last_at=_aware(row.last_at),
            monetary=Decimal(str(row.monetary)),
            segment=RfmSegment(row.segment),
        )
        for row in conn.execute(rfm_select(table, as_of=as_of))
    ]


def rfm_segment_counts(conn: Connection, table: Table, *, as_of: date) -> dict[RfmSegment, int]:
    """Customers per segment (every segment present) from one grouped query."""
    per_customer = rfm_select(table, as_of=as_of).subquery()
    query = select(per_customer.c.segment, func.count()).group_by(per_customer.c.segment)
    counts = dict.fromkeys(RfmSegment, 0)
    for segment, count in conn.execute(query):
        counts[RfmSegment(segment)] = int(count)
    return counts


def rfm_members(
    conn: Connection, table: Table, *, as_of: date, segment: RfmSegment
) -> Sequence[Any]:
    """The customers in ``segment`` at ``as_of``, ordered."""
    per_customer = rfm_select(table, as_of=as_of).subquery()
    query = (
        select(per_customer.c.customer)
        .where(per_customer.c.segment == segment.value)
        .order_by(per_customer.c.customer)
    )
    return [row[0] for row in conn.execute(query)]


def rfm_customers(conn: Connection, table: Table, *, as_of: date) -> list[CustomerRfm[Any]]:
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
        for row in rfm_rows(conn, table, as_of=as_of)
    ]
