"""Compile a parsed filter (:mod:`crmcore.domain.filters`) to a SQLAlchemy expression.

Every value becomes a bound parameter; no SQL text is ever built from filter data. The
caller maps catalogue field names to columns (``Mapping[str, ColumnElement]``), so the
same compiler serves the contact segments and any other catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, not_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import DateTime

from crmcore.domain.filters import And, Compare, Filter, Not, Op, Scalar, Value, resolve


class UnmappedField(KeyError):
    """The filter uses a field the column mapping does not provide."""


def _param(column: ColumnElement[Any], value: Scalar) -> Any:
    if isinstance(value, datetime):
        column_type = column.type
        if isinstance(column_type, DateTime) and not column_type.timezone:
            value = value.astimezone(UTC).replace(tzinfo=None)
    return bindparam(None, value, type_=column.type, unique=True)


def _compare(node: Compare, column: ColumnElement[Any], now: datetime) -> ColumnElement[bool]:
    if node.op is Op.IS_NULL:
        return column.is_(None) if node.value else column.is_not(None)
    value = node.value
    if node.op is Op.IN:
        assert isinstance(value, tuple)
        return column.in_([_param(column, resolve(v, now)) for v in value])
    if node.op is Op.BETWEEN:
        assert isinstance(value, tuple)
        return column.between(
            _param(column, resolve(value[0], now)), _param(column, resolve(value[1], now))
        )
    assert not isinstance(value, tuple)
    target = resolve(value, now)
    if node.op is Op.CONTAINS:
        return func.lower(column).contains(str(target).lower(), autoescape=True)
    param = _param(column, target)
    compiled: ColumnElement[bool] = {
        Op.EQ: lambda: column == param,
        Op.NE: lambda: column != param,
        Op.LT: lambda: column < param,
        Op.LE: lambda: column <= param,
        Op.GT: lambda: column > param,
        Op.GE: lambda: column >= param,
    }[node.op]()
    return compiled


def compile_filter(
    node: Filter, columns: Mapping[str, ColumnElement[Any]], *, now: datetime
) -> ColumnElement[bool]:
    """A WHERE clause equivalent to :func:`crmcore.domain.filters.matches` at ``now``."""
    if isinstance(node, Compare):
        if node.field not in columns:
            raise UnmappedField(node.field)
        return _compare(node, columns[node.field], now)
    if isinstance(node, Not):
        return not_(compile_filter(node.item, columns, now=now))
    parts = [compile_filter(item, columns, now=now) for item in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


__all__ = ["UnmappedField", "Value", "compile_filter"]
