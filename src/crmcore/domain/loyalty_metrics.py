"""Customer facts and the exit metrics of the loyalty ladder (C8).

Facts are a closed, typed catalogue (``FACTS``): a bad configuration names the level and
the field. An exit metric is any object satisfying :class:`ExitMetric`; this module
parses the JSON/TOML form shared with the segment filter language (C7)::

    {field = "purchases", op = "ge", value = 2}              # a condition
    {and = [...]}   {or = [...]}   {not = {...}}               # combinators

Operators: ``eq ne lt le gt ge in contains between is_null``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, InvalidInput

# --------------------------------------------------------------------------- facts


@attrs.frozen
class FactType:
    """The type of one fact: ``int``, ``bool``, ``Decimal``, ``date`` or ``frozenset`` (tags)."""

    kind: type
    nullable: bool = False
    counter: bool = False  # deltas add to it instead of replacing it

    @property
    def label(self) -> str:
        """The type name shown in errors."""
        names = {int: "integer", bool: "boolean", Decimal: "decimal", date: "date"}
        base = names.get(self.kind, "list of strings")
        return f"{base} or null" if self.nullable else base


#: Every fact an exit metric may name, with its type.
FACTS: Mapping[str, FactType] = {
    "purchases": FactType(int, counter=True),
    "revenue": FactType(Decimal, counter=True),
    "referral_invites": FactType(int, counter=True),
    "reviews": FactType(int, counter=True),
    "referred_friends_converted": FactType(int, counter=True),
    "partner_program": FactType(bool),
    "paying_customers_brought": FactType(int, counter=True),
    "advocacy": FactType(int, counter=True),
    "form_answers": FactType(int, counter=True),
    "last_nps": FactType(int, nullable=True),
    "first_interaction": FactType(date, nullable=True),
    "last_purchase": FactType(date, nullable=True),
    "tags": FactType(frozenset),
}

_non_negative = attrs.validators.ge(0)


@attrs.frozen(kw_only=True)
class CustomerFacts:
    """What we know about one customer that the ladder's exit metrics are written over.

    Counters: purchases, revenue, referral invites, public reviews, referred friends who
    converted, paying customers brought (partners), public advocacy (case studies,
    testimonials), form answers. Values: partner program membership, last NPS (0-10),
    first interaction and last purchase dates. Tags: free labels (e.g. set by a form).
    """

    purchases: int = attrs.field(default=0, validator=_non_negative)
    revenue: Decimal = attrs.field(default=Decimal(0), validator=attrs.validators.ge(Decimal(0)))
    referral_invites: int = attrs.field(default=0, validator=_non_negative)
    reviews: int = attrs.field(default=0, validator=_non_negative)
    referred_friends_converted: int = attrs.field(default=0, validator=_non_negative)
    partner_program: bool = False
    paying_customers_brought: int = attrs.field(default=0, validator=_non_negative)
    advocacy: int = attrs.field(default=0, validator=_non_negative)
    form_answers: int = attrs.field(default=0, validator=_non_negative)
    last_nps: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.ge(0), attrs.validators.le(10)]),
    )
    first_interaction: date | None = None
    last_purchase: date | None = None
    tags: frozenset[str] = frozenset()

    def as_mapping(self) -> Mapping[str, object]:
        """The facts by name, as exit metrics read them."""
        return {name: getattr(self, name) for name in FACTS}

    def apply(self, delta: FactsDelta) -> CustomerFacts:
        """Counters add, values replace, tags accumulate."""
        changes: dict[str, Any] = {
            name: getattr(self, name) + amount for name, amount in delta.counters.items()
        }
        changes.update(delta.values)
        if delta.tags:
            changes["tags"] = self.tags | delta.tags
        return attrs.evolve(self, **changes)


@attrs.frozen(kw_only=True)
class FactsDelta:
    """A validated change of facts: non-negative increments, replacement values, new tags."""

    counters: Mapping[str, int | Decimal] = attrs.field(factory=dict)
    values: Mapping[str, object] = attrs.field(factory=dict)
    tags: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        """True when applying it changes nothing."""
        return not (self.counters or self.values or self.tags)


def _coerce(raw: object, fact: FactType) -> object:
    """``raw`` as a value of ``fact``'s type, or raise ``ValueError`` with the reason."""
    if raw is None:
        if fact.nullable:
            return None
        raise ValueError("must not be null")
    kind = fact.kind
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in {"true", "false", "yes", "no", "1", "0"}:
            return raw.strip().lower() in {"true", "yes", "1"}
        raise ValueError("must be true or false")
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            return int(raw.strip())
        raise ValueError("must be an integer")
    if kind is Decimal:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return number
    if kind is date:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw.strip())
            except ValueError:
                raise ValueError("must be a date (YYYY-MM-DD)") from None
        raise ValueError("must be a date (YYYY-MM-DD)")
    if isinstance(raw, str):
        return frozenset(t.strip() for t in raw.split(",") if t.strip())
    if isinstance(raw, list | tuple | set | frozenset) and all(isinstance(t, str) for t in raw):
        return frozenset(raw)
    raise ValueError("must be a list of strings")


def facts_delta(raw: Mapping[str, object]) -> Result[FactsDelta, InvalidInput]:
    """Validate a change of facts by name; every bad field is reported."""
    errors: list[FieldError] = []
    counters: dict[str, int | Decimal] = {}
    values: dict[str, object] = {}
    tags: frozenset[str] = frozenset()
    for name, value in raw.items():
        fact = FACTS.get(name)
        if fact is None:
            errors.append(FieldError(field=name, value=str(value), reason=_unknown_fact()))
            continue
        try:
            coerced = _coerce(value, fact)
        except ValueError as exc:
            errors.append(FieldError(field=name, value=str(value), reason=str(exc)))
            continue
        if fact.counter:
            assert isinstance(coerced, int | Decimal)
            if coerced < 0:
                errors.append(
                    FieldError(field=name, value=str(value), reason="increments are not negative")
                )
            counters[name] = coerced
        elif fact.kind is frozenset:
            assert isinstance(coerced, frozenset)
            tags = coerced
        elif name == "last_nps" and isinstance(coerced, int) and not 0 <= coerced <= 10:
            errors.append(FieldError(field=name, value=str(value), reason="must be 0-10"))
        else:
            values[name] = coerced
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(FactsDelta(counters=counters, values=values, tags=tags))


def facts_from(raw: Mapping[str, object]) -> Result[CustomerFacts, InvalidInput]:
    """Whole facts from values by name (missing ones default), e.g. an imported row."""
    return facts_delta(raw).map(CustomerFacts().apply)


def _unknown_fact() -> str:
    return "unknown fact; known facts: " + ", ".join(FACTS)


# --------------------------------------------------------------------------- metrics


@runtime_checkable
class ExitMetric(Protocol):
    """A condition over a customer's facts (the segment filter language's shape)."""

    def holds(self, facts: Mapping[str, object]) -> bool:
        """True when the customer's facts satisfy the condition."""
        ...

    def describe(self) -> str:
        """A one-line human reading, e.g. ``purchases >= 2 and reviews >= 1``."""
        ...

    def fields(self) -> AbstractSet[str]:
        """Every fact the condition reads."""
        ...


_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
OPERATORS = (*_SYMBOL, "in", "contains", "between", "is_null")
_ORDERED = (int, Decimal, date)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@attrs.frozen
class Condition:
    """``field op value``; a comparison against a missing (null) fact is false except ``ne``."""

    field: str
    op: str
    value: object

    def holds(self, facts: Mapping[str, object]) -> bool:
        actual: Any = facts.get(self.field)
        wanted: Any = self.value
        if self.op == "is_null":
            return (actual is None) is bool(wanted)
        if actual is None:
            return self.op == "ne"
        match self.op:
            case "eq":
                return bool(actual == wanted)
            case "ne":
                return bool(actual != wanted)
            case "lt":
                return bool(actual < wanted)
            case "le":
                return bool(actual <= wanted)
            case "gt":
                return bool(actual > wanted)
            case "ge":
                return bool(actual >= wanted)
            case "in":
                return bool(actual in wanted)
            case "contains":
                return bool(wanted in actual)
            case "between":
                return bool(wanted[0] <= actual <= wanted[1])
        return False  # pragma: no cover - the parser admits only the operators above

    def describe(self) -> str:
        if self.op in _SYMBOL:
            return f"{self.field} {_SYMBOL[self.op]} {_show(self.value)}"
        if self.op == "is_null":
            return f"{self.field} is {'' if self.value else 'not '}null"
        return f"{self.field} {self.op} {_show(self.value)}"

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@attrs.frozen
class AllOf:
    """Every part holds."""

    parts: tuple[ExitMetric, ...]

    def holds(self, facts: Mapping[str, object]) -> bool:
        return all(p.holds(facts) for p in self.parts)

    def describe(self) -> str:
        return " and ".join(_grouped(p) for p in self.parts)

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(p.fields() for p in self.parts))


@attrs.frozen
class AnyOf:
    """At least one part holds."""

    parts: tuple[ExitMetric, ...]

    def holds(self, facts: Mapping[str, object]) -> bool:
        return any(p.holds(facts) for p in self.parts)

    def describe(self) -> str:
        return " or ".join(_grouped(p) for p in self.parts)

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(p.fields() for p in self.parts))


@attrs.frozen
class Not:
    """The part does not hold."""

    part: ExitMetric

    def holds(self, facts: Mapping[str, object]) -> bool:
        return not self.part.holds(facts)

    def describe(self) -> str:
        return f"not {_grouped(self.part)}"

    def fields(self) -> frozenset[str]:
        return frozenset(self.part.fields())


def _grouped(metric: ExitMetric) -> str:
    text = metric.describe()
    return f"({text})" if isinstance(metric, AllOf | AnyOf) else text


def _allowed_ops(fact: FactType) -> tuple[str, ...]:
    if fact.kind is frozenset:
        return ("contains",)
    ops = ["eq", "ne", "in"]
    if fact.kind in _ORDERED:
        ops += ["lt", "le", "gt", "ge", "between"]
    if fact.nullable:
        ops.append("is_null")
    return tuple(ops)


def parse_metric(
    data: object, *, where: str, catalogue: Mapping[str, FactType] = FACTS
) -> Result[ExitMetric, tuple[FieldError, ...]]:
    """Parse the JSON/TOML form; every error names its path from ``where``."""
    errors: list[FieldError] = []
    metric = _parse(data, where, catalogue, errors)
    if errors or metric is None:
        return Failure(tuple(errors))
    return Success(metric)


def _parse(
    data: object, path: str, catalogue: Mapping[str, FactType], errors: list[FieldError]
) -> ExitMetric | None:
    if not isinstance(data, Mapping):
        errors.append(
            FieldError(field=path, value=_show(data), reason="must be a table (condition)")
        )
        return None
    keys = set(data)
    for combinator in ("and", "or"):
        if combinator in keys:
            if keys != {combinator}:
                errors.append(_extra_keys(path, keys - {combinator}, combinator))
            items = data[combinator]
            if not isinstance(items, Sequence) or isinstance(items, str) or not items:
                errors.append(
                    FieldError(
                        field=f"{path}.{combinator}",
                        value=_show(items),
                        reason="must be a non-empty list of conditions",
                    )
                )
                return None
            parts = [
                _parse(item, f"{path}.{combinator}[{i}]", catalogue, errors)
                for i, item in enumerate(items)
            ]
            if any(p is None for p in parts):
                return None
            done = tuple(p for p in parts if p is not None)
            return AllOf(done) if combinator == "and" else AnyOf(done)
    if "not" in keys:
        if keys != {"not"}:
            errors.append(_extra_keys(path, keys - {"not"}, "not"))
        inner = _parse(data["not"], f"{path}.not", catalogue, errors)
        return None if inner is None else Not(inner)
    return _condition(data, path, catalogue, errors)


def _extra_keys(path: str, extra: set[Any], combinator: str) -> FieldError:
    return FieldError(
        field=path,
        value=", ".join(sorted(map(str, extra))),
        reason=f"'{combinator}' stands alone in its table",
    )


def _condition(
    data: Mapping[Any, Any], path: str, catalogue: Mapping[str, FactType], errors: list[FieldError]
) -> ExitMetric | None:
    before = len(errors)
    extra = set(data) - {"field", "op", "value"}
    if extra:
        errors.append(
            FieldError(
                field=path,
                value=", ".join(sorted(map(str, extra))),
                reason="unknown keys; a condition has field, op, value (or and/or/not)",
            )
        )
    name, op = data.get("field"), data.get("op")
    fact = catalogue.get(name) if isinstance(name, str) else None
    if fact is None:
        known = ", ".join(catalogue)
        errors.append(
            FieldError(
                field=f"{path}.field", value=_show(name), reason=f"unknown fact; known: {known}"
            )
        )
    if op not in OPERATORS:
        errors.append(
            FieldError(
                field=f"{path}.op", value=_show(op), reason=f"must be one of {', '.join(OPERATORS)}"
            )
        )
    if len(errors) > before or fact is None or not isinstance(op, str):
        return None
    assert isinstance(name, str)
    allowed = _allowed_ops(fact)
    if op not in allowed:
        errors.append(
            FieldError(
                field=f"{path}.op",
                value=op,
                reason=f"not applicable to {name} ({fact.label}); use {', '.join(allowed)}",
            )
        )
        return None
    if "value" not in data:
        errors.append(FieldError(field=f"{path}.value", value="", reason="is required"))
        return None
    value = _operand(data["value"], op, fact, f"{path}.value", errors)
    return None if value is _BAD else Condition(name, op, value)


_BAD = object()


def _operand(raw: object, op: str, fact: FactType, path: str, errors: list[FieldError]) -> object:
    def one(item: object) -> object:
        try:
            value = _coerce(item, FactType(fact.kind))
        except ValueError as exc:
            errors.append(FieldError(field=path, value=_show(item), reason=str(exc)))
            return _BAD
        return value

    if op == "is_null":
        if not isinstance(raw, bool):
            errors.append(FieldError(field=path, value=_show(raw), reason="must be true or false"))
            return _BAD
        return raw
    if op == "contains":
        if not isinstance(raw, str):
            errors.append(FieldError(field=path, value=_show(raw), reason="must be a string"))
            return _BAD
        return raw
    if op in ("in", "between"):
        if not isinstance(raw, list | tuple) or (op == "between" and len(raw) != 2):
            shape = "a list [low, high]" if op == "between" else "a list"
            errors.append(FieldError(field=path, value=_show(raw), reason=f"must be {shape}"))
            return _BAD
        items = tuple(one(i) for i in raw)
        return _BAD if any(i is _BAD for i in items) else items
    return one(raw)
