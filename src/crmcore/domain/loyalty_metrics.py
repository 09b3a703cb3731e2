"""Customer facts and the exit metrics of the loyalty ladder.

Facts are a closed, typed catalogue (``FACTS``): a bad configuration names the level and
the field. An exit metric is written in the segment filter language (C7,
:mod:`crmcore.domain.filters`) over the catalogue :data:`FACT_FIELDS`::

    {field = "purchases", op = "ge", value = 2}              # a condition
    {field = "last_purchase", op = "lt", value = "90 days ago"}
    {and = [...]}   {or = [...]}   {not = {...}}               # combinators

and evaluated by the filter evaluator (three-valued: a missing fact never satisfies a
comparison).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.filters import (
    And,
    Compare,
    FieldCatalogue,
    FieldType,
    Filter,
    Not,
    Op,
    Or,
    RelativeInstant,
    fields_used,
    matches,
    parse_filter,
)
from crmcore.domain.filters import to_json as filter_json

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


def combine_facts(keep: CustomerFacts, other: CustomerFacts) -> CustomerFacts:
    """The facts of one person known as two customers (a merge): counters add, partner
    membership holds if either holds, the first interaction is the earlier and the last
    purchase the later, tags join; the kept customer's last NPS wins when it has one."""
    changes: dict[str, Any] = {
        name: getattr(keep, name) + getattr(other, name)
        for name, fact in FACTS.items()
        if fact.counter
    }
    firsts = [d for d in (keep.first_interaction, other.first_interaction) if d is not None]
    lasts = [d for d in (keep.last_purchase, other.last_purchase) if d is not None]
    changes.update(
        partner_program=keep.partner_program or other.partner_program,
        last_nps=keep.last_nps if keep.last_nps is not None else other.last_nps,
        first_interaction=min(firsts, default=None),
        last_purchase=max(lasts, default=None),
        tags=keep.tags | other.tags,
    )
    return attrs.evolve(keep, **changes)


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
        if isinstance(raw, str) and raw.strip().removeprefix("-").isdecimal():
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

#: The board's fact fields in the segment filter language's catalogue form: counters and
#: revenue are numbers, dates are instants (midnight UTC), tags a comma-separated string.
FACT_FIELDS: FieldCatalogue = {
    name: (
        FieldType.BOOL
        if fact.kind is bool
        else FieldType.NUMBER
        if fact.kind in (int, Decimal)
        else FieldType.DATETIME
        if fact.kind is date
        else FieldType.STRING
    )
    for name, fact in FACTS.items()
}


def fact_view(facts: CustomerFacts, names: Iterable[str] | None = None) -> Mapping[str, object]:
    """The facts (those of ``names``, or all) as the filter evaluator reads them (dates as
    UTC instants, tags joined)."""
    view: dict[str, object] = {}
    wanted = FACTS if names is None else names
    for name in wanted:
        value = getattr(facts, name, None)
        if isinstance(value, date) and not isinstance(value, datetime):
            view[name] = datetime.combine(value, time(), tzinfo=UTC)
        elif isinstance(value, frozenset):
            view[name] = ",".join(sorted(value))
        else:
            view[name] = value
    return view


@attrs.frozen
class ExitMetric:
    """A level's exit condition: a filter of the segment language over :data:`FACT_FIELDS`.

    It holds only when the filter is *true* (SQL's three-valued logic: a comparison with a
    missing fact, e.g. no NPS yet, is unknown and does not let the card out).
    """

    filter: Filter
    #: the facts the filter reads (only those are put in its view)
    _reads: frozenset[str] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda self: frozenset(fields_used(self.filter)), takes_self=True),
    )

    def holds(self, facts: CustomerFacts, *, now: datetime) -> bool:
        """True when the customer's facts satisfy the condition at ``now``."""
        return matches(self.filter, fact_view(facts, self._reads), now=now)

    def describe(self) -> str:
        """A one-line human reading, e.g. ``purchases >= 2 and reviews >= 1``."""
        return _describe(self.filter)

    def fields(self) -> frozenset[str]:
        """Every fact the condition reads."""
        return self._reads

    def to_json(self) -> dict[str, Any]:
        """The filter's JSON form."""
        return filter_json(self.filter)


_SYMBOL = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, RelativeInstant):
        days = value.delta.total_seconds() / 86400
        return "now" if days == 0 else f"{days:g} days ago"
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return moment.date().isoformat() if moment.time() == time() else moment.isoformat()
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _describe(node: Filter) -> str:
    if isinstance(node, Compare):
        if node.op in _SYMBOL:
            return f"{node.field} {_SYMBOL[node.op]} {_show(node.value)}"
        if node.op is Op.IS_NULL:
            return f"{node.field} is {'' if node.value else 'not '}null"
        return f"{node.field} {node.op.value} {_show(node.value)}"
    if isinstance(node, Not):
        return f"not {_grouped(node.item)}"
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(_grouped(item) for item in node.items)


def _grouped(node: Filter) -> str:
    text = _describe(node)
    return f"({text})" if isinstance(node, And | Or) else text


def parse_metric(data: object, *, where: str) -> Result[ExitMetric, tuple[FieldError, ...]]:
    """Parse an exit metric written in the segment filter language over the board's facts;
    every error names its path from ``where`` (e.g. ``levels[4] regular.exit.field``)."""
    parsed = parse_filter(data, FACT_FIELDS)
    if isinstance(parsed, Failure):
        return Failure(
            tuple(
                attrs.evolve(e, field=where + e.field.removeprefix("filter"))
                for e in parsed.failure().errors
            )
        )
    return Success(ExitMetric(parsed.unwrap()))
