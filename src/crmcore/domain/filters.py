"""A safe, typed filter language for segments, stored as JSON.

A filter is data, never code. JSON forms::

    {"field": "contact.lifecycle", "op": "eq", "value": "customer"}
    {"field": "behaviour.transactions", "op": "between", "value": [3, 9]}
    {"field": "behaviour.last_transaction_at", "op": "between", "value": "last 30 days"}
    {"field": "behaviour.last_transaction_at", "op": "lt", "value": "90 days ago"}
    {"field": "account.industry", "op": "is_null", "value": false}
    {"and": [...]}, {"or": [...]}, {"not": {...}}

Fields come from a :data:`FieldCatalogue` (name → :class:`FieldType`), so other parts of
the library (the loyalty board's exit metrics) pass their own. Evaluation follows SQL's
three-valued logic, so the Python evaluator and the SQL compiler always agree: a
comparison with a missing (null) value is *unknown*, and only *true* selects a member.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, InvalidInput


class FieldType(StrEnum):
    """Value types a filter field can have."""

    STRING = "string"
    NUMBER = "number"
    BOOL = "bool"
    DATETIME = "datetime"


FieldCatalogue = Mapping[str, FieldType]


class Op(StrEnum):
    """Comparison operators."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    CONTAINS = "contains"
    BETWEEN = "between"
    IS_NULL = "is_null"


#: Which operators each type accepts. Strings are not ordered: collations differ between
#: databases, and a filter must mean the same everywhere.
OPS_BY_TYPE: Mapping[FieldType, frozenset[Op]] = {
    FieldType.STRING: frozenset({Op.EQ, Op.NE, Op.IN, Op.CONTAINS, Op.IS_NULL}),
    FieldType.NUMBER: frozenset(set(Op) - {Op.CONTAINS}),
    FieldType.BOOL: frozenset({Op.EQ, Op.NE, Op.IS_NULL}),
    FieldType.DATETIME: frozenset(set(Op) - {Op.CONTAINS, Op.IN}),
}

#: The customer catalogue: contact, account, behaviour and score fields.
CUSTOMER_FIELDS: FieldCatalogue = {
    "contact.user_id": FieldType.STRING,
    "contact.email": FieldType.STRING,
    "contact.phone": FieldType.STRING,
    "contact.first_name": FieldType.STRING,
    "contact.last_name": FieldType.STRING,
    "contact.role": FieldType.STRING,
    "contact.lifecycle": FieldType.STRING,
    "contact.preferred_channel": FieldType.STRING,
    "contact.archived": FieldType.BOOL,
    "contact.created_at": FieldType.DATETIME,
    "account.name": FieldType.STRING,
    "account.type": FieldType.STRING,
    "account.industry": FieldType.STRING,
    "account.region": FieldType.STRING,
    "account.size_range": FieldType.STRING,
    "behaviour.transactions": FieldType.NUMBER,
    "behaviour.monetary": FieldType.NUMBER,
    "behaviour.first_transaction_at": FieldType.DATETIME,
    "behaviour.last_transaction_at": FieldType.DATETIME,
    "score.health": FieldType.NUMBER,
    "score.health_level": FieldType.STRING,
    "card.owner": FieldType.STRING,
}

Scalar = str | Decimal | bool | datetime


@attrs.frozen
class RelativeInstant:
    """``N unit ago`` (or ``now``), resolved against an injected ``now``."""

    delta: timedelta

    def at(self, now: datetime) -> datetime:
        return now - self.delta


Value = Scalar | RelativeInstant


@attrs.frozen(kw_only=True)
class Compare:
    """``field op value``; ``value`` is a tuple for ``in``/``between``, a bool for ``is_null``."""

    field: str
    type: FieldType
    op: Op
    value: Value | tuple[Value, ...]


@attrs.frozen
class And:
    items: tuple[Filter, ...]


@attrs.frozen
class Or:
    items: tuple[Filter, ...]


@attrs.frozen
class Not:
    item: Filter


Filter = Compare | And | Or | Not

#: Bounds on a filter (docs/segments.md): nesting depth of and/or/not, the number of
#: nodes (comparisons and combinators), the values of one ``in``, the length of a string,
#: and numbers below 10^18 in magnitude with at most 6 decimal places. A filter beyond
#: them is refused with a field error (exit code 2), before any database sees it.
MAX_DEPTH = 32
MAX_NODES = 1_000
MAX_IN_VALUES = 1_000
MAX_STRING = 1_000
MAX_NUMBER = Decimal(10) ** 18
MAX_NUMBER_PLACES = 6
_SURROGATE = re.compile("[\ud800-\udfff]")

_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_LAST = re.compile(r"^\s*last\s+(\d{1,5})\s+(minute|hour|day|week)s?\s*$", re.IGNORECASE)
_AGO = re.compile(r"^\s*(\d{1,5})\s+(minute|hour|day|week)s?\s+ago\s*$", re.IGNORECASE)


def _delta(count: str, unit: str) -> timedelta:
    return timedelta(seconds=int(count) * _UNITS[unit.lower()])


class _Parser:
    def __init__(self, catalogue: FieldCatalogue) -> None:
        self.catalogue = catalogue
        self.errors: list[FieldError] = []
        self.nodes = 0

    def fail(self, path: str, value: object, reason: str) -> None:
        self.errors.append(FieldError(field=path, value=_show(value), reason=reason))

    def node(self, data: object, path: str, depth: int = 0) -> Filter | None:
        if not isinstance(data, Mapping):
            self.fail(path, data, "must be an object")
            return None
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:  # said once
                self.fail(path, "...", f"the filter has more than {MAX_NODES} nodes")
            return None
        if depth > MAX_DEPTH:
            self.fail(path, "...", f"nested deeper than {MAX_DEPTH} levels")
            return None
        keys = set(data)
        for combinator in ("and", "or"):
            if combinator in keys:
                if keys != {combinator}:
                    self.fail(path, sorted(keys), f"'{combinator}' takes no other keys")
                    return None
                items = data[combinator]
                if not isinstance(items, list) or not items:
                    self.fail(f"{path}.{combinator}", items, "must be a non-empty list")
                    return None
                if len(items) > MAX_NODES:
                    self.fail(
                        f"{path}.{combinator}", f"{len(items)} items", f"more than {MAX_NODES}"
                    )
                    return None
                parsed = [
                    self.node(item, f"{path}.{combinator}[{i}]", depth + 1)
                    for i, item in enumerate(items)
                ]
                if any(p is None for p in parsed):
                    return None
                children = tuple(p for p in parsed if p is not None)
                return And(children) if combinator == "and" else Or(children)
        if "not" in keys:
            if keys != {"not"}:
                self.fail(path, sorted(keys), "'not' takes no other keys")
                return None
            inner = self.node(data["not"], f"{path}.not", depth + 1)
            return Not(inner) if inner is not None else None
        return self.compare(data, path)

    def compare(self, data: Mapping[str, Any], path: str) -> Filter | None:
        extra = set(data) - {"field", "op", "value"}
        if extra:
            self.fail(path, sorted(extra), "unknown keys (expected field, op, value)")
        field, raw_op = data.get("field"), data.get("op")
        if not isinstance(field, str) or field not in self.catalogue:
            known = ", ".join(sorted(self.catalogue))
            self.fail(f"{path}.field", field, f"unknown field; known fields: {known}")
            return None
        ftype = self.catalogue[field]
        try:
            op = Op(str(raw_op))
        except ValueError:
            self.fail(f"{path}.op", raw_op, f"must be one of {', '.join(o.value for o in Op)}")
            return None
        if op not in OPS_BY_TYPE[ftype]:
            allowed = ", ".join(sorted(o.value for o in OPS_BY_TYPE[ftype]))
            self.fail(
                f"{path}.op", op.value, f"not allowed on {ftype} field {field}; use {allowed}"
            )
            return None
        if "value" not in data:
            self.fail(f"{path}.value", None, "is required")
            return None
        raw = data["value"]
        vpath = f"{path}.value"
        if op is Op.IS_NULL:
            if not isinstance(raw, bool):
                self.fail(vpath, raw, "is_null takes true or false")
                return None
            return Compare(field=field, type=ftype, op=op, value=raw)
        if op is Op.BETWEEN:
            return self.between(field, ftype, raw, vpath)
        if op is Op.IN:
            if not isinstance(raw, list) or not raw:
                self.fail(vpath, raw, "'in' takes a non-empty list")
                return None
            if len(raw) > MAX_IN_VALUES:
                self.fail(vpath, f"{len(raw)} values", f"'in' takes at most {MAX_IN_VALUES}")
                return None
            values = [self.scalar(ftype, v, f"{vpath}[{i}]") for i, v in enumerate(raw)]
            if any(v is None for v in values):
                return None
            return Compare(
                field=field, type=ftype, op=op, value=tuple(v for v in values if v is not None)
            )
        value = self.scalar(ftype, raw, vpath)
        if value is None:
            return None
        return Compare(field=field, type=ftype, op=op, value=value)

    def between(self, field: str, ftype: FieldType, raw: object, path: str) -> Filter | None:
        if ftype is FieldType.DATETIME and isinstance(raw, str):
            match = _LAST.match(raw)
            if match is None:
                self.fail(path, raw, "use [from, to] or a relative period like 'last 30 days'")
                return None
            start = RelativeInstant(_delta(*match.groups()))
            return Compare(
                field=field, type=ftype, op=Op.BETWEEN, value=(start, RelativeInstant(timedelta(0)))
            )
        if not isinstance(raw, list) or len(raw) != 2:
            self.fail(path, raw, "'between' takes a list of two values [low, high]")
            return None
        low = self.scalar(ftype, raw[0], f"{path}[0]")
        high = self.scalar(ftype, raw[1], f"{path}[1]")
        if low is None or high is None:
            return None
        return Compare(field=field, type=ftype, op=Op.BETWEEN, value=(low, high))

    def scalar(self, ftype: FieldType, raw: object, path: str) -> Value | None:
        if ftype is FieldType.STRING:
            if not isinstance(raw, str):
                self.fail(path, raw, "must be a string")
            elif len(raw) > MAX_STRING:
                self.fail(path, raw, f"longer than {MAX_STRING} characters")
            elif _SURROGATE.search(raw) is not None:
                self.fail(path, raw, "holds a lone surrogate (not valid Unicode)")
            else:
                return raw
        elif ftype is FieldType.BOOL:
            if isinstance(raw, bool):
                return raw
            self.fail(path, raw, "must be true or false")
        elif ftype is FieldType.NUMBER:
            number = _number(raw)
            if number is None:
                self.fail(path, raw, "must be a number")
            elif abs(number) >= MAX_NUMBER or _places(number) > MAX_NUMBER_PLACES:
                self.fail(
                    path,
                    raw,
                    f"out of range: |value| < 10^18 with at most {MAX_NUMBER_PLACES} "
                    "decimal places",
                )
            else:
                return number
        else:
            return self.instant(raw, path)
        return None

    def instant(self, raw: object, path: str) -> Value | None:
        if isinstance(raw, str):
            text = raw.strip()
            if text.lower() == "now":
                return RelativeInstant(timedelta(0))
            match = _AGO.match(text)
            if match is not None:
                return RelativeInstant(_delta(*match.groups()))
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                parsed = None
            if parsed is not None:
                at = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
                try:
                    at.astimezone(UTC)
                except OverflowError:
                    self.fail(path, raw, "out of range in UTC (years 1-9999)")
                    return None
                return at
        self.fail(path, raw, "must be an ISO date/datetime, 'now' or 'N days ago'")
        return None


def _number(raw: object) -> Decimal | None:
    """A finite number from JSON (int, float or decimal text), else ``None``."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return None
    if isinstance(raw, str) and len(raw) > 64:
        return None
    try:
        number = Decimal(raw) if isinstance(raw, int) else Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _show(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python prints
        return "a number too long to show"
    return text if len(text) <= 80 else text[:77] + "..."


def parse_filter(
    data: object, catalogue: FieldCatalogue = CUSTOMER_FIELDS
) -> Result[Filter, InvalidInput]:
    """Parse JSON-decoded data into a typed filter, or every error with its JSON path."""
    parser = _Parser(catalogue)
    node = parser.node(data, "filter")
    if parser.errors or node is None:
        errors = parser.errors or [FieldError(field="filter", value=_show(data), reason="invalid")]
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(node)


def resolve(value: Value, now: datetime) -> Scalar:
    """A value with relative instants resolved against ``now``."""
    return value.at(now) if isinstance(value, RelativeInstant) else value


def to_json(node: Filter) -> dict[str, Any]:
    """The JSON form of a parsed filter (relative values keep their relative form)."""
    if isinstance(node, And):
        return {"and": [to_json(i) for i in node.items]}
    if isinstance(node, Or):
        return {"or": [to_json(i) for i in node.items]}
    if isinstance(node, Not):
        return {"not": to_json(node.item)}

    def one(v: Value) -> Any:
        if isinstance(v, RelativeInstant):
            seconds = int(v.delta.total_seconds())
            return "now" if seconds == 0 else f"{seconds // 60} minutes ago"
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, datetime):
            return v.isoformat()
        return v

    value = node.value
    rendered = [one(v) for v in value] if isinstance(value, tuple) else one(value)
    return {"field": node.field, "op": node.op.value, "value": rendered}


# --- three-valued evaluation -------------------------------------------------------------

Truth = bool | None  # None is SQL's UNKNOWN


def _compare(node: Compare, actual: object, now: datetime) -> Truth:
    if node.op is Op.IS_NULL:
        return (actual is None) == node.value
    if actual is None:
        return None
    value = node.value
    if node.op is Op.IN:
        assert isinstance(value, tuple)
        return any(actual == resolve(v, now) for v in value)
    if node.op is Op.BETWEEN:
        assert isinstance(value, tuple)
        low, high = resolve(value[0], now), resolve(value[1], now)
        return bool(low <= actual <= high)  # type: ignore[operator]
    assert not isinstance(value, tuple)
    target = resolve(value, now)
    if node.op is Op.CONTAINS:
        return str(target).lower() in str(actual).lower()
    result: bool = _ORDERED[node.op](actual, target)
    return result


#: The comparisons of two present values, by operator.
_ORDERED: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


def truth(node: Filter, facts: Mapping[str, object], *, now: datetime) -> Truth:
    """The three-valued truth of ``node`` over one record's ``facts`` (missing = null)."""
    if isinstance(node, Compare):
        return _compare(node, _normal(facts.get(node.field)), now)
    if isinstance(node, Not):
        inner = truth(node.item, facts, now=now)
        return None if inner is None else not inner
    results = [truth(item, facts, now=now) for item in node.items]
    if isinstance(node, And):
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def matches(node: Filter, facts: Mapping[str, object], *, now: datetime) -> bool:
    """True when ``facts`` belong to the filter's members (unknown is not a match)."""
    return truth(node, facts, now=now) is True


def _normal(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, StrEnum):
        return value.value
    return value


def fields_used(node: Filter) -> Sequence[str]:
    """The catalogue fields a filter reads, in first-use order."""
    if isinstance(node, Compare):
        return [node.field]
    items = (node.item,) if isinstance(node, Not) else node.items
    seen: dict[str, None] = {}
    for item in items:
        for name in fields_used(item):
            seen.setdefault(name, None)
    return list(seen)
