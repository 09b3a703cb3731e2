"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric, String, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from crmcore.adapters.sql.sqlite.converters import stored_datetime


def _sqlite_instant(value: str | None) -> datetime | None:
    """SQLite's stored text of an instant (naive UTC) as an aware datetime; text written
    with a zone by hand is read in its zone and given in UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value + "+00:00")
    except ValueError:
        parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware instants: stored in UTC, always read back aware (UTC).

    PostgreSQL keeps them in ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC and the zone is put back on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite the stored text in one step (:func:`stored_datetime`, also what the
        SQLite statements bind), not this type's conversion and then ``DATETIME``'s."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return lambda value: None if value is None else stored_datetime(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        """On SQLite the stored text read in one step (``fromisoformat``, UTC put back),
        not ``DATETIME``'s regular-expression parse and then this type's zone."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_instant

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the storage needs timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """Exact decimal amounts: ``NUMERIC`` on PostgreSQL, decimal text on SQLite.

    SQLite's NUMERIC affinity would round-trip through a float and lose cents; text keeps
    every digit, and SQLite's ``SUM`` still reads it as a number.
    """

    impl = Numeric(asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


#: SQLite sums amounts as whole ten-thousandths (every ISO-4217 minor unit fits): integer
#: arithmetic is exact and does not depend on the order of the rows.
SUM_SCALE = 10_000


def _tidy(value: Decimal) -> Decimal:
    """``12.3400`` → ``12.34``, ``100.0000`` → ``100`` (no exponent form)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class AmountSum(TypeDecorator[Decimal]):
    """A sum of :class:`Amount` values: ``NUMERIC`` on PostgreSQL; on SQLite an integer
    count of ten-thousandths (:data:`SUM_SCALE`), read back as an exact ``Decimal``.

    SQLite has no decimal arithmetic: summing the decimal text as binary floats gives
    results that depend on the order of the rows (a running sum kept by a trigger and a
    ``GROUP BY`` disagree in the 15th digit after a few hundred rows). Amounts with more
    than four decimals are rounded to four in SQLite sums.
    """

    impl = Numeric(asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int((value * SUM_SCALE).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name != "sqlite":
            return value if isinstance(value, Decimal) else Decimal(str(value))
        if isinstance(value, float):  # beyond 2**63 ten-thousandths SQLite went to floats
            return Decimal(str(value)) / SUM_SCALE
        return _tidy(Decimal(value) / SUM_SCALE)


class AmountTotal(FunctionElement[Decimal]):
    """``SUM`` of an amount column as :class:`AmountSum`: exact on both dialects."""

    type = AmountSum()
    name = "amount_total"
    inherit_cache = True


def compiled_by_dialect(element: type[FunctionElement[Any]], pg: str, sqlite: str) -> None:
    """Compile ``element(column)`` to the ``pg`` template (the default) or the ``sqlite``
    one, ``{0}`` standing for the column."""

    def on(template: str) -> Any:
        def compile_(e: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
            return template.format(compiler.process(e.clauses, **kw))

        return compile_

    compiles(element)(on(pg))
    compiles(element, "sqlite")(on(sqlite))


def sqlite_amount_total(column: str) -> str:
    """SQLite's sum of an amount column in whole ten-thousandths (:data:`SUM_SCALE`).

    ``total`` adds doubles, which hold whole ten-thousandths exactly while the running
    total stays below 2**53 (about 900 billion): the result is then cast back to an exact
    integer. Beyond, it stays a float (read back approximately) instead of ``sum``'s
    "integer overflow" error, which failed a whole import, or ``CAST``'s silent clamp of
    a single amount at 2**63 ten-thousandths."""
    total = f"total(round(({column}) * {SUM_SCALE}))"
    return (
        f"CASE WHEN count({column}) = 0 THEN NULL"  # as sum: no amount, no total
        f" WHEN abs({total}) < {2**53} THEN CAST({total} AS INTEGER) ELSE {total} END"
    )


compiled_by_dialect(AmountTotal, "sum({0})", sqlite_amount_total("{0}"))
