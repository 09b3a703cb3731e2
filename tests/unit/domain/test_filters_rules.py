"""The filter language pinned: each bound on, just below and just above its line, each
parse error's path, shown value and text, the operators each type accepts, relative
instants in every unit, the JSON form, and SQL's three-valued truth tables written out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from returns.result import Failure, Success

from crmcore.domain.errors import InvalidInput
from crmcore.domain.filters import (
    CUSTOMER_FIELDS,
    And,
    Compare,
    FieldType,
    Filter,
    Not,
    Op,
    Or,
    RelativeInstant,
    fields_used,
    matches,
    parse_filter,
    resolve,
    to_json,
    truth,
)

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
CAT = {"s": FieldType.STRING, "n": FieldType.NUMBER, "b": FieldType.BOOL, "d": FieldType.DATETIME}
S_EQ = {"field": "s", "op": "eq", "value": "x"}


def ok(data: object) -> Filter:
    result = parse_filter(data, CAT)
    assert isinstance(result, Success), result
    node: Filter = result.unwrap()
    return node


def errs(data: object) -> list[tuple[str, str, str]]:
    result = parse_filter(data, CAT)
    assert isinstance(result, Failure), result
    failure = result.failure()
    assert isinstance(failure, InvalidInput)
    return [(e.field, e.value, e.reason) for e in failure.errors]


def value_of(data: dict[str, Any]) -> Any:
    node = ok(data)
    assert isinstance(node, Compare)
    return node.value


# --- structure ---------------------------------------------------------------------------


def test_a_node_that_is_not_an_object() -> None:
    assert errs([1]) == [("filter", "[1]", "must be an object")]
    assert errs({"not": 5}) == [("filter.not", "5", "must be an object")]


@pytest.mark.parametrize("combinator", ["and", "or"])
def test_a_combinator_takes_no_other_keys_and_a_non_empty_list(combinator: str) -> None:
    assert errs({combinator: [S_EQ], "x": 1}) == [
        ("filter", f"[{combinator!r}, 'x']", f"'{combinator}' takes no other keys")
    ]
    items: object
    for items in ([], {}, "abc", None):
        assert errs({combinator: items}) == [
            (f"filter.{combinator}", repr(items), "must be a non-empty list")
        ]


def test_and_or_not_build_their_nodes_and_report_children_at_their_paths() -> None:
    bad = {"field": "n", "op": "eq", "value": "z"}
    assert ok({"and": [S_EQ, S_EQ]}) == And((ok(S_EQ), ok(S_EQ)))
    assert ok({"or": [S_EQ]}) == Or((ok(S_EQ),))
    assert ok({"not": S_EQ}) == Not(ok(S_EQ))
    assert errs({"or": [S_EQ, bad, bad]}) == [
        ("filter.or[1].value", "'z'", "must be a number"),
        ("filter.or[2].value", "'z'", "must be a number"),
    ]
    assert errs({"and": [{"not": bad}]}) == [("filter.and[0].not.value", "'z'", "must be a number")]
    assert errs({"not": S_EQ, "and": [S_EQ]}) == [
        ("filter", "['and', 'not']", "'and' takes no other keys")
    ]
    assert errs({"not": S_EQ, "x": 1}) == [("filter", "['not', 'x']", "'not' takes no other keys")]


def _nested_nots(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = dict(S_EQ)
    for _ in range(levels):
        data = {"not": data}
    return data


def test_nesting_is_bounded_at_32_levels() -> None:
    assert isinstance(ok(_nested_nots(32)), Not)
    assert errs(_nested_nots(33)) == [
        ("filter" + ".not" * 33, "'...'", "nested deeper than 32 levels")
    ]


def test_a_filter_holds_at_most_1000_nodes_and_says_so_once() -> None:
    assert isinstance(ok({"and": [S_EQ] * 999}), And)  # 1,000 nodes
    assert errs({"and": [S_EQ] * 1000}) == [
        ("filter.and[999]", "'...'", "the filter has more than 1000 nodes")
    ]
    two = {"or": [{"and": [S_EQ] * 600}, {"and": [S_EQ] * 600}]}
    assert errs(two) == [("filter.or[1].and[397]", "'...'", "the filter has more than 1000 nodes")]


def test_a_combinator_of_more_than_1000_items_is_refused_before_its_items() -> None:
    assert errs({"and": [5] * 1001}) == [("filter.and", "'1001 items'", "more than 1000")]


# --- comparisons ---------------------------------------------------------------------------


def test_unknown_keys_are_reported_beside_the_comparison() -> None:
    assert errs({**S_EQ, "y": 1, "x": 2}) == [
        ("filter", "['x', 'y']", "unknown keys (expected field, op, value)")
    ]


@pytest.mark.parametrize("field", [None, 5, "nope"])
def test_an_unknown_field_lists_the_known_ones(field: object) -> None:
    data = {"field": field, "op": "eq", "value": "x"}
    assert errs(data) == [("filter.field", repr(field), "unknown field; known fields: b, d, n, s")]


@pytest.mark.parametrize("op", [None, "EQ", "like"])
def test_an_unknown_operator_lists_them_all(op: object) -> None:
    reason = "must be one of eq, ne, lt, le, gt, ge, in, contains, between, is_null"
    assert errs({"field": "s", "op": op, "value": "x"}) == [("filter.op", repr(op), reason)]


ALLOWED = {
    "s": {"eq", "ne", "in", "contains", "is_null"},
    "n": {"eq", "ne", "lt", "le", "gt", "ge", "in", "between", "is_null"},
    "b": {"eq", "ne", "is_null"},
    "d": {"eq", "ne", "lt", "le", "gt", "ge", "between", "is_null"},
}
SAMPLE = {"s": "x", "n": 1, "b": True, "d": "2026-01-01"}


@pytest.mark.parametrize("field", sorted(ALLOWED))
@pytest.mark.parametrize("op", [o.value for o in Op])
def test_each_type_accepts_exactly_its_operators(field: str, op: str) -> None:
    value: object = SAMPLE[field]
    if op == "is_null":
        value = True
    elif op == "in":
        value = [value]
    elif op == "between":
        value = [value, value]
    data = {"field": field, "op": op, "value": value}
    if op in ALLOWED[field]:
        assert isinstance(ok(data), Compare)
    else:
        kind = CAT[field].value
        allowed = ", ".join(sorted(ALLOWED[field]))
        assert errs(data) == [
            ("filter.op", repr(op), f"not allowed on {kind} field {field}; use {allowed}")
        ]


def test_a_comparison_needs_a_value() -> None:
    assert errs({"field": "s", "op": "eq"}) == [("filter.value", "None", "is required")]


def test_is_null_takes_a_boolean() -> None:
    assert value_of({"field": "s", "op": "is_null", "value": False}) is False
    assert errs({"field": "s", "op": "is_null", "value": 1}) == [
        ("filter.value", "1", "is_null takes true or false")
    ]


def test_in_takes_a_non_empty_list_of_at_most_1000_values() -> None:
    assert value_of({"field": "n", "op": "in", "value": [1, "2"]}) == (Decimal(1), Decimal(2))
    assert len(value_of({"field": "n", "op": "in", "value": list(range(1000))})) == 1000
    assert errs({"field": "n", "op": "in", "value": list(range(1001))}) == [
        ("filter.value", "'1001 values'", "'in' takes at most 1000")
    ]
    raw: object
    for raw in ([], 3, "1,2"):
        assert errs({"field": "n", "op": "in", "value": raw}) == [
            ("filter.value", repr(raw), "'in' takes a non-empty list")
        ]
    assert errs({"field": "n", "op": "in", "value": [1, "a", 2, "b"]}) == [
        ("filter.value[1]", "'a'", "must be a number"),
        ("filter.value[3]", "'b'", "must be a number"),
    ]


def test_between_takes_two_values_and_reports_each_bad_one() -> None:
    assert value_of({"field": "n", "op": "between", "value": [1, 2]}) == (Decimal(1), Decimal(2))
    for raw in ([1], [1, 2, 3], "1-2", {"a": 1}):
        assert errs({"field": "n", "op": "between", "value": raw}) == [
            ("filter.value", repr(raw), "'between' takes a list of two values [low, high]")
        ]
    assert errs({"field": "n", "op": "between", "value": ["a", "b"]}) == [
        ("filter.value[0]", "'a'", "must be a number"),
        ("filter.value[1]", "'b'", "must be a number"),
    ]
    assert errs({"field": "n", "op": "between", "value": [1, "b"]}) == [
        ("filter.value[1]", "'b'", "must be a number")
    ]


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("last 30 days", timedelta(days=30)),
        ("last 1 day", timedelta(days=1)),
        ("  LAST 2 Weeks  ", timedelta(weeks=2)),
        ("last 3 hours", timedelta(hours=3)),
        ("last 45 minute", timedelta(minutes=45)),
        ("last 99999 minutes", timedelta(minutes=99999)),
    ],
)
def test_a_relative_period_runs_from_its_start_to_now(text: str, delta: timedelta) -> None:
    assert value_of({"field": "d", "op": "between", "value": text}) == (
        RelativeInstant(delta),
        RelativeInstant(timedelta(0)),
    )


@pytest.mark.parametrize(
    "text", ["last 100000 days", "last days", "last 3 months", "3 days ago", "past 3 days", "x"]
)
def test_other_period_texts_are_refused(text: str) -> None:
    assert errs({"field": "d", "op": "between", "value": text}) == [
        (
            "filter.value",
            repr(text),
            "use [from, to] or a relative period like 'last 30 days'",
        )
    ]


def test_a_period_text_on_a_number_field_is_not_a_pair() -> None:
    assert errs({"field": "n", "op": "between", "value": "last 3 days"})[0][2] == (
        "'between' takes a list of two values [low, high]"
    )


# --- scalars ---------------------------------------------------------------------------------


def test_strings_are_text_of_at_most_1000_characters_without_lone_surrogates() -> None:
    assert value_of({"field": "s", "op": "eq", "value": "a" * 1000}) == "a" * 1000
    long = "a" * 1001
    assert errs({"field": "s", "op": "eq", "value": long}) == [
        ("filter.value", repr(long)[:77] + "...", "longer than 1000 characters")
    ]
    assert errs({"field": "s", "op": "eq", "value": 5}) == [
        ("filter.value", "5", "must be a string")
    ]
    assert errs({"field": "s", "op": "eq", "value": "a\ud800b"}) == [
        ("filter.value", repr("a\ud800b"), "holds a lone surrogate (not valid Unicode)")
    ]
    assert errs({"field": "s", "op": "eq", "value": "\udfff"})[0][2].startswith("holds a lone")
    assert value_of({"field": "s", "op": "eq", "value": "\ud7ff\ue000"}) == "\ud7ff\ue000"


def test_booleans_are_true_or_false_only() -> None:
    assert value_of({"field": "b", "op": "eq", "value": True}) is True
    for raw in (1, "true", None):
        assert errs({"field": "b", "op": "eq", "value": raw}) == [
            ("filter.value", repr(raw), "must be true or false")
        ]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (7, Decimal(7)),
        (0.1, Decimal("0.1")),
        ("0.30", Decimal("0.30")),
        (" 2 ", Decimal(2)),
        (10**18 - 1, Decimal(10**18 - 1)),
        (-(10**18) + 1, Decimal(-(10**18) + 1)),
        ("0.000001", Decimal("0.000001")),
        ("1.5000000", Decimal("1.5000000")),
        ("1E+3", Decimal("1E+3")),
        ("0" * 63 + "1", Decimal(1)),
    ],
)
def test_numbers_are_exact_decimals_within_range(raw: object, number: Decimal) -> None:
    value = value_of({"field": "n", "op": "eq", "value": raw})
    assert value == number
    assert isinstance(value, Decimal)
    assert str(value) == str(number)


RANGE = "out of range: |value| < 10^18 with at most 6 decimal places"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (10**18, RANGE),
        (-(10**18), RANGE),
        ("1e18", RANGE),
        ("0.0000001", RANGE),
        ("-0.0000001", RANGE),
        ("abc", "must be a number"),
        ("NaN", "must be a number"),
        ("Infinity", "must be a number"),
        (float("inf"), "must be a number"),
        (True, "must be a number"),
        (None, "must be a number"),
        ([1], "must be a number"),
        ("0" * 64 + "1", "must be a number"),
    ],
)
def test_numbers_out_of_range_or_not_numbers_are_refused(raw: object, reason: str) -> None:
    shown = repr(raw) if len(repr(raw)) <= 80 else repr(raw)[:77] + "..."
    assert errs({"field": "n", "op": "eq", "value": raw}) == [("filter.value", shown, reason)]


def test_a_number_too_long_to_print_is_still_reported() -> None:
    assert errs({"field": "n", "op": "eq", "value": 10**5000}) == [
        ("filter.value", "a number too long to show", RANGE)
    ]


def test_shown_values_are_cut_at_80_characters() -> None:
    at_limit = "a" * 78  # repr adds two quotes: 80 characters
    assert errs({"field": "nope", "op": "eq", "value": 1, "x": at_limit})[0][1] == "['x']"
    assert errs({"field": at_limit, "op": "eq", "value": 1})[0][1] == repr(at_limit)
    over = "a" * 79
    assert errs({"field": over, "op": "eq", "value": 1})[0][1] == repr(over)[:77] + "..."


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("now", RelativeInstant(timedelta(0))),
        ("  NoW ", RelativeInstant(timedelta(0))),
        ("5 minutes ago", RelativeInstant(timedelta(minutes=5))),
        ("1 minute ago", RelativeInstant(timedelta(minutes=1))),
        ("2 hours ago", RelativeInstant(timedelta(hours=2))),
        ("3 Days AGO", RelativeInstant(timedelta(days=3))),
        (" 4 weeks ago ", RelativeInstant(timedelta(weeks=4))),
        ("99999 days ago", RelativeInstant(timedelta(days=99999))),
        ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC)),
        (" 2026-01-02T03:04:05 ", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05+03:00", datetime(2026, 1, 2, 0, 4, 5, tzinfo=UTC)),
    ],
)
def test_instants_are_iso_now_or_n_units_ago(raw: str, value: object) -> None:
    parsed = value_of({"field": "d", "op": "lt", "value": raw})
    assert parsed == value
    if isinstance(value, datetime):
        assert isinstance(parsed, datetime)
        assert parsed.utcoffset() is not None


def test_an_aware_instant_keeps_its_offset() -> None:
    parsed = value_of({"field": "d", "op": "lt", "value": "2026-01-02T03:04:05+03:00"})
    assert parsed.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    "raw", ["yesterday", "100000 days ago", "3 months ago", "ago", 5, None, "2026-13-01"]
)
def test_other_instants_are_refused(raw: object) -> None:
    assert errs({"field": "d", "op": "lt", "value": raw}) == [
        ("filter.value", repr(raw), "must be an ISO date/datetime, 'now' or 'N days ago'")
    ]


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_instant_outside_utc_years_is_refused(raw: str) -> None:
    assert errs({"field": "d", "op": "lt", "value": raw}) == [
        ("filter.value", repr(raw), "out of range in UTC (years 1-9999)")
    ]


def test_the_default_catalogue_is_the_customer_one() -> None:
    data = {"field": "contact.lifecycle", "op": "eq", "value": "customer"}
    assert isinstance(parse_filter(data), Success)
    assert isinstance(parse_filter({"field": "s", "op": "eq", "value": "x"}), Failure)
    assert CUSTOMER_FIELDS["behaviour.monetary"] is FieldType.NUMBER
    assert CUSTOMER_FIELDS["contact.archived"] is FieldType.BOOL
    assert CUSTOMER_FIELDS["behaviour.last_transaction_at"] is FieldType.DATETIME


# --- JSON form -------------------------------------------------------------------------------


def test_the_json_form_writes_each_value_kind() -> None:
    data = {
        "and": [
            {"field": "n", "op": "in", "value": [1, "2.50"]},
            {"or": [{"field": "d", "op": "between", "value": "last 3 days"}]},
            {"not": {"field": "d", "op": "gt", "value": "2026-01-02T03:04:05+03:00"}},
            {"field": "d", "op": "lt", "value": "90 seconds ago"},
        ]
    }
    assert errs(data)[0][0] == "filter.and[3].value"
    data["and"][3] = {"field": "d", "op": "lt", "value": "2 hours ago"}
    data["and"].append({"field": "b", "op": "is_null", "value": False})
    data["and"].append({"field": "s", "op": "eq", "value": "x"})
    assert to_json(ok(data)) == {
        "and": [
            {"field": "n", "op": "in", "value": ["1", "2.50"]},
            {"or": [{"field": "d", "op": "between", "value": ["4320 minutes ago", "now"]}]},
            {"not": {"field": "d", "op": "gt", "value": "2026-01-02T03:04:05+03:00"}},
            {"field": "d", "op": "lt", "value": "120 minutes ago"},
            {"field": "b", "op": "is_null", "value": False},
            {"field": "s", "op": "eq", "value": "x"},
        ]
    }


def test_relative_instants_resolve_against_now() -> None:
    assert RelativeInstant(timedelta(days=2)).at(NOW) == NOW - timedelta(days=2)
    assert resolve(RelativeInstant(timedelta(hours=1)), NOW) == NOW - timedelta(hours=1)
    assert resolve(Decimal(3), NOW) == Decimal(3)


# --- evaluation ------------------------------------------------------------------------------


def _cmp(op: str, value: object, field: str = "n") -> Filter:
    return ok({"field": field, "op": op, "value": value})


@pytest.mark.parametrize(
    ("op", "below", "equal", "above"),
    [
        ("eq", False, True, False),
        ("ne", True, False, True),
        ("lt", True, False, False),
        ("le", True, True, False),
        ("gt", False, False, True),
        ("ge", False, True, True),
    ],
)
def test_each_comparison_on_below_equal_and_above(
    op: str, below: bool, equal: bool, above: bool
) -> None:
    node = _cmp(op, 10)
    assert [truth(node, {"n": n}, now=NOW) for n in (9, 10, 11)] == [below, equal, above]
    assert truth(node, {}, now=NOW) is None
    assert truth(node, {"n": None}, now=NOW) is None


def test_between_is_inclusive_at_both_ends() -> None:
    node = _cmp("between", [2, 4])
    assert [matches(node, {"n": n}, now=NOW) for n in (1, 2, 3, 4, 5)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    assert truth(node, {}, now=NOW) is None


def test_in_matches_any_listed_value() -> None:
    node = _cmp("in", [1, 3])
    assert [truth(node, {"n": n}, now=NOW) for n in (1, 2, 3)] == [True, False, True]
    assert truth(node, {}, now=NOW) is None


def test_is_null_is_never_unknown() -> None:
    null, not_null = _cmp("is_null", True), _cmp("is_null", False)
    assert truth(null, {}, now=NOW) is True
    assert truth(null, {"n": 0}, now=NOW) is False
    assert truth(not_null, {}, now=NOW) is False
    assert truth(not_null, {"n": 0}, now=NOW) is True


def test_contains_ignores_case_on_both_sides() -> None:
    node = _cmp("contains", "Gold", "s")
    assert truth(node, {"s": "ROSE GOLD"}, now=NOW) is True
    assert truth(node, {"s": "rose gold"}, now=NOW) is True
    assert truth(node, {"s": "silver"}, now=NOW) is False
    assert truth(node, {}, now=NOW) is None


def test_relative_values_compare_against_the_injected_now() -> None:
    node = _cmp("ge", "2 days ago", "d")
    assert truth(node, {"d": NOW - timedelta(days=2)}, now=NOW) is True
    assert truth(node, {"d": NOW - timedelta(days=2, seconds=1)}, now=NOW) is False
    period = _cmp("between", "last 1 day", "d")
    assert truth(period, {"d": NOW}, now=NOW) is True
    assert truth(period, {"d": NOW + timedelta(seconds=1)}, now=NOW) is False
    assert truth(period, {"d": NOW - timedelta(days=1)}, now=NOW) is True
    assert truth(period, {"d": NOW - timedelta(days=1, seconds=1)}, now=NOW) is False


def test_facts_are_normalised_before_comparing() -> None:
    assert truth(_cmp("eq", 0.1), {"n": 0.1}, now=NOW) is True
    assert truth(_cmp("eq", 3), {"n": 3}, now=NOW) is True
    assert truth(_cmp("eq", True, "b"), {"b": True}, now=NOW) is True
    assert truth(_cmp("eq", False, "b"), {"b": True}, now=NOW) is False

    class Level(StrEnum):
        HIGH = "high"

    assert truth(_cmp("in", ["high"], "s"), {"s": Level.HIGH}, now=NOW) is True
    assert truth(_cmp("contains", "IG", "s"), {"s": Level.HIGH}, now=NOW) is True


T, F, U = "t", "f", "u"
_LEAF = {T: {"n": 1}, F: {"n": 2}, U: {}}


def _three(value: bool | None) -> str:
    return {True: T, False: F, None: U}[value]


@pytest.mark.parametrize(
    ("a", "b", "both", "either"),
    [
        (T, T, T, T),
        (T, F, F, T),
        (T, U, U, T),
        (F, T, F, T),
        (F, F, F, F),
        (F, U, F, U),
        (U, T, U, T),
        (U, F, F, U),
        (U, U, U, U),
    ],
)
def test_and_or_follow_sql_truth_tables(a: str, b: str, both: str, either: str) -> None:
    leaf_a = {"field": "n", "op": "eq", "value": 1}
    leaf_b = {"field": "d", "op": "eq", "value": "2026-01-01"}
    facts: dict[str, object] = {**_LEAF[a]}
    if b == T:
        facts["d"] = datetime(2026, 1, 1, tzinfo=UTC)
    elif b == F:
        facts["d"] = datetime(2026, 1, 2, tzinfo=UTC)
    assert _three(truth(ok({"and": [leaf_a, leaf_b]}), facts, now=NOW)) == both
    assert _three(truth(ok({"or": [leaf_a, leaf_b]}), facts, now=NOW)) == either
    assert matches(ok({"and": [leaf_a, leaf_b]}), facts, now=NOW) is (both == T)


def test_not_flips_true_and_false_and_keeps_unknown() -> None:
    node = ok({"not": {"field": "n", "op": "eq", "value": 1}})
    assert [truth(node, _LEAF[k], now=NOW) for k in (T, F, U)] == [False, True, None]
    assert [matches(node, _LEAF[k], now=NOW) for k in (T, F, U)] == [False, True, False]


def test_fields_used_lists_each_field_once_in_first_use_order() -> None:
    node = ok(
        {
            "or": [
                {"field": "s", "op": "eq", "value": "x"},
                {"not": {"field": "n", "op": "eq", "value": 1}},
                {
                    "and": [
                        {"field": "s", "op": "ne", "value": "y"},
                        {"field": "b", "op": "eq", "value": True},
                    ]
                },
            ]
        }
    )
    assert list(fields_used(node)) == ["s", "n", "b"]
    assert list(fields_used(ok(S_EQ))) == ["s"]


def test_an_offset_aware_fact_compares_with_a_naive_iso_value_read_as_utc() -> None:
    node = _cmp("eq", "2026-01-02T03:00:00", "d")
    fact = datetime(2026, 1, 2, 6, tzinfo=timezone(timedelta(hours=3)))
    assert truth(node, {"d": fact}, now=NOW) is True


def _nested(combinator: str, levels: int) -> dict[str, Any]:
    data: dict[str, Any] = dict(S_EQ)
    for _ in range(levels):
        data = {combinator: [data]}
    return data


@pytest.mark.parametrize("combinator", ["and", "or"])
def test_and_and_or_count_towards_the_nesting_bound(combinator: str) -> None:
    assert ok(_nested(combinator, 32))
    path = "filter" + f".{combinator}[0]" * 33
    assert errs(_nested(combinator, 33)) == [(path, "'...'", "nested deeper than 32 levels")]
    mixed = {"not": _nested(combinator, 32)}
    assert errs(mixed)[0][2] == "nested deeper than 32 levels"


def test_parsed_comparisons_carry_their_field_type() -> None:
    for data, kind in (
        ({"field": "d", "op": "between", "value": "last 2 days"}, FieldType.DATETIME),
        ({"field": "d", "op": "between", "value": ["2026-01-01", "now"]}, FieldType.DATETIME),
        ({"field": "n", "op": "in", "value": [1]}, FieldType.NUMBER),
        ({"field": "s", "op": "is_null", "value": True}, FieldType.STRING),
        ({"field": "b", "op": "eq", "value": False}, FieldType.BOOL),
    ):
        node = ok(data)
        assert isinstance(node, Compare)
        assert (node.field, node.type, node.op.value) == (data["field"], kind, data["op"])


def test_the_utc_range_check_does_not_depend_on_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Etc/GMT-14")  # fourteen hours east of UTC
    time.tzset()
    try:
        late = datetime(9999, 12, 31, 20, tzinfo=UTC)  # year 10000 fourteen hours east
        assert value_of({"field": "d", "op": "lt", "value": "9999-12-31T20:00:00+00:00"}) == late
        assert errs({"field": "d", "op": "lt", "value": "0001-01-01T00:00:00+01:00"}) == [
            ("filter.value", "'0001-01-01T00:00:00+01:00'", "out of range in UTC (years 1-9999)")
        ]
    finally:
        monkeypatch.undo()
        time.tzset()
