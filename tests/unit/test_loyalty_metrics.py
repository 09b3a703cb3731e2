"""Exit metrics: the condition language over customer facts, and facts deltas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.filters import And, Or, parse_filter
from crmcore.domain.loyalty_metrics import (
    FACT_FIELDS,
    FACTS,
    CustomerFacts,
    ExitMetric,
    facts_delta,
    parse_metric,
)
from tests.strategies import customer_facts

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def metric(data: Any) -> ExitMetric:
    parsed = parse_metric(data, where="exit")
    assert isinstance(parsed, Success), parsed
    found: ExitMetric = parsed.unwrap()
    return found


def errors(data: Any) -> list[str]:
    parsed = parse_metric(data, where="levels[2] customer.exit")
    assert isinstance(parsed, Failure)
    return [str(e) for e in parsed.failure()]


# An oracle written without the parser: plain Python over the facts object.
ORACLE = {
    "purchases": lambda f, v: f.purchases,
    "revenue": lambda f, v: f.revenue,
    "last_nps": lambda f, v: f.last_nps,
    "first_interaction": lambda f, v: f.first_interaction,
}


@given(
    customer_facts(),
    st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
    st.integers(0, 10),
)
def test_comparisons_agree_with_python(facts: CustomerFacts, op: str, value: int) -> None:
    import operator

    python_op = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
                 "le": operator.le, "gt": operator.gt, "ge": operator.ge}[op]  # fmt: skip
    for field in ("purchases", "last_nps", "revenue"):
        actual = ORACLE[field](facts, value)
        # three-valued logic, as in SQL: a comparison with a missing fact is unknown
        expected = False if actual is None else python_op(actual, value)
        got = metric({"field": field, "op": op, "value": value}).holds(facts, now=NOW)
        assert got is expected, (field, op, value, actual)


@given(customer_facts(), st.integers(0, 4), st.integers(0, 4))
def test_between_and_in(facts: CustomerFacts, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    between = metric({"field": "reviews", "op": "between", "value": [low, high]})
    assert between.holds(facts, now=NOW) is (low <= facts.reviews <= high)
    member = metric({"field": "advocacy", "op": "in", "value": [a, b]})
    assert member.holds(facts, now=NOW) is (facts.advocacy in (a, b))


@given(customer_facts())
def test_combinators_are_boolean_algebra(facts: CustomerFacts) -> None:
    p = metric({"field": "purchases", "op": "ge", "value": 2})
    q = metric({"field": "partner_program", "op": "eq", "value": True})
    both = metric({"and": [{"field": "purchases", "op": "ge", "value": 2},
                           {"field": "partner_program", "op": "eq", "value": True}]})  # fmt: skip
    either = metric({"or": [{"field": "purchases", "op": "ge", "value": 2},
                            {"field": "partner_program", "op": "eq", "value": True}]})  # fmt: skip
    negated = metric({"not": {"field": "purchases", "op": "ge", "value": 2}})

    def holds(m: ExitMetric) -> bool:
        return m.holds(facts, now=NOW)

    assert holds(both) is (holds(p) and holds(q))
    assert holds(either) is (holds(p) or holds(q))
    assert holds(negated) is (not holds(p))
    assert both.fields() == {"purchases", "partner_program"}


def test_null_contains_and_dates() -> None:
    no_nps = CustomerFacts()
    assert metric({"field": "last_nps", "op": "is_null", "value": True}).holds(no_nps, now=NOW)
    assert not metric({"field": "last_nps", "op": "ge", "value": 0}).holds(no_nps, now=NOW)
    # unknown stays unknown under negation: no NPS is neither >= 9 nor not >= 9
    assert not metric({"not": {"field": "last_nps", "op": "ge", "value": 9}}).holds(no_nps, now=NOW)
    tagged = CustomerFacts(tags=frozenset({"case_study", "vip"}))
    assert metric({"field": "tags", "op": "contains", "value": "case_study"}).holds(tagged, now=NOW)
    early = CustomerFacts(first_interaction=date(2025, 3, 1))
    assert metric({"field": "first_interaction", "op": "lt", "value": "2025-04-01"}).holds(
        early, now=NOW
    )
    rich = CustomerFacts(revenue=Decimal("100.50"))
    assert metric({"field": "revenue", "op": "gt", "value": "100.49"}).holds(rich, now=NOW)


@given(st.integers(0, 400))
def test_relative_periods_resolve_against_now(days: int) -> None:
    facts = CustomerFacts(last_purchase=(NOW - timedelta(days=days)).date())
    lapsed = metric({"field": "last_purchase", "op": "lt", "value": "90 days ago"})
    recent = metric({"field": "last_purchase", "op": "between", "value": "last 30 days"})
    assert lapsed.holds(facts, now=NOW) is (days > 90)
    assert recent.holds(facts, now=NOW) is (days <= 30)


def test_metrics_are_segment_filters() -> None:
    data = {"and": [{"field": "purchases", "op": "ge", "value": 2},
                    {"field": "partner_program", "op": "eq", "value": True}]}  # fmt: skip
    direct = parse_filter(data, FACT_FIELDS)
    assert isinstance(direct, Success)
    assert metric(data).filter == direct.unwrap()
    assert isinstance(metric(data).filter, And)
    assert metric(data).to_json()["and"][0]["field"] == "purchases"


def test_describe_reads_like_the_spec() -> None:
    described = metric(
        {"and": [{"field": "purchases", "op": "ge", "value": 2},
                 {"or": [{"field": "reviews", "op": "ge", "value": 1},
                         {"not": {"field": "partner_program", "op": "eq", "value": True}}]}]}
    ).describe()  # fmt: skip
    assert described == ("purchases >= 2 and (reviews >= 1 or not partner_program = true)")
    assert isinstance(metric({"field": "reviews", "op": "ge", "value": 1}), ExitMetric)
    lapsed = metric({"field": "last_purchase", "op": "lt", "value": "90 days ago"})
    assert lapsed.describe() == "last_purchase < 90 days ago"
    assert isinstance(metric({"or": [{"field": "reviews", "op": "ge", "value": 1}]}).filter, Or)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"field": "purchase", "op": "ge", "value": 1},
         "levels[2] customer.exit.field: unknown field"),
        ({"field": "purchases", "op": "gte", "value": 1},
         "levels[2] customer.exit.op: must be one of"),
        ({"field": "partner_program", "op": "ge", "value": 1},
         "levels[2] customer.exit.op: not allowed on bool field partner_program"),
        ({"field": "purchases", "op": "ge", "value": "two"},
         "levels[2] customer.exit.value: must be a number"),
        ({"field": "purchases", "op": "ge"}, "levels[2] customer.exit.value: is required"),
        ({"and": [{"field": "reviews", "op": "ge", "value": 1},
                  {"field": "x", "op": "eq", "value": 1}]},
         "levels[2] customer.exit.and[1].field: unknown field"),
        ({"or": []}, "levels[2] customer.exit.or: must be a non-empty list"),
        ({"not": 3}, "levels[2] customer.exit.not: must be an object"),
        ({"field": "reviews", "op": "between", "value": [1]},
         "levels[2] customer.exit.value: 'between' takes a list of two values"),
        ({"field": "last_nps", "op": "is_null", "value": 1},
         "levels[2] customer.exit.value: is_null takes true or false"),
        ({"field": "reviews", "op": "ge", "value": 1, "extra": 1},
         "levels[2] customer.exit: unknown keys"),
        ({"and": [{"field": "reviews", "op": "ge", "value": 1}], "or": []},
         "levels[2] customer.exit: 'and' takes no other keys"),
    ],
)  # fmt: skip
def test_bad_metrics_name_the_path(data: Any, expected: str) -> None:
    assert any(e.startswith(expected) for e in errors(data)), errors(data)


def test_every_fact_is_a_filter_field_with_a_default() -> None:
    defaults = CustomerFacts().as_mapping()
    assert set(defaults) == set(FACTS) == set(FACT_FIELDS)


def test_deltas_add_counters_and_replace_values() -> None:
    delta = facts_delta({"purchases": 2, "revenue": "10.5", "partner_program": "yes",
                         "last_nps": 9, "tags": "vip, b2b"})  # fmt: skip
    assert isinstance(delta, Success)
    start = CustomerFacts(purchases=1, revenue=Decimal(1), tags=frozenset({"old"}))
    after = start.apply(delta.unwrap())
    assert after.purchases == 3
    assert after.revenue == Decimal("11.5")
    assert after.partner_program is True
    assert after.last_nps == 9
    assert after.tags == {"old", "vip", "b2b"}


def test_bad_deltas_are_all_reported() -> None:
    delta = facts_delta({"purchases": -1, "last_nps": 11, "nope": 1, "reviews": "x"})
    assert isinstance(delta, Failure)
    fields = sorted(e.field for e in delta.failure().errors)
    assert fields == ["last_nps", "nope", "purchases", "reviews"]
