"""Customer facts and exit metrics pinned: each fact type's coercion and the error text a
user sees, counters' sign, the NPS range on its bounds, how a delta applies, the evaluator's
view of the facts, and the one-line reading (``describe``) of every operator and grouping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from returns.result import Failure, Success

from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.filters import (
    And,
    Compare,
    FieldType,
    Filter,
    Not,
    Op,
    Or,
    RelativeInstant,
    matches,
)
from crmcore.domain.loyalty_metrics import (
    FACTS,
    CustomerFacts,
    ExitMetric,
    FactsDelta,
    FactType,
    combine_facts,
    fact_view,
    facts_delta,
    facts_from,
    parse_metric,
)
from tests.strategies import customer_facts

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KNOWN = (
    "unknown fact; known facts: purchases, revenue, referral_invites, reviews, "
    "referred_friends_converted, partner_program, paying_customers_brought, advocacy, "
    "form_answers, last_nps, first_interaction, last_purchase, tags"
)


def bad(name: str, value: object, reason: str) -> FieldError:
    return FieldError(field=name, value=str(value), reason=reason)


def refused(raw: dict[str, object], *errors: FieldError) -> None:
    assert facts_delta(raw) == Failure(InvalidInput(errors=errors))


def delta(**kw: Any) -> FactsDelta:
    return FactsDelta(**kw)


# --------------------------------------------------------------------------- fact types


@pytest.mark.parametrize(
    ("fact", "label"),
    [
        (FactType(int), "integer"),
        (FactType(bool), "boolean"),
        (FactType(Decimal), "decimal"),
        (FactType(date), "date"),
        (FactType(frozenset), "list of strings"),
        (FactType(int, nullable=True), "integer or null"),
        (FactType(date, nullable=True), "date or null"),
    ],
)
def test_a_fact_types_label(fact: FactType, label: str) -> None:
    assert fact.label == label


def test_facts_by_name_are_every_field_in_catalogue_order() -> None:
    facts = CustomerFacts(
        purchases=2,
        revenue=Decimal("9.5"),
        referral_invites=1,
        reviews=3,
        referred_friends_converted=4,
        partner_program=True,
        paying_customers_brought=5,
        advocacy=6,
        form_answers=7,
        last_nps=8,
        first_interaction=date(2024, 1, 2),
        last_purchase=date(2025, 3, 4),
        tags=frozenset({"vip"}),
    )
    mapping = facts.as_mapping()
    assert list(mapping) == list(FACTS)
    assert mapping == {
        "purchases": 2,
        "revenue": Decimal("9.5"),
        "referral_invites": 1,
        "reviews": 3,
        "referred_friends_converted": 4,
        "partner_program": True,
        "paying_customers_brought": 5,
        "advocacy": 6,
        "form_answers": 7,
        "last_nps": 8,
        "first_interaction": date(2024, 1, 2),
        "last_purchase": date(2025, 3, 4),
        "tags": frozenset({"vip"}),
    }


# --------------------------------------------------------------------------- deltas


def test_a_delta_is_empty_only_without_counters_values_and_tags() -> None:
    assert FactsDelta().is_empty
    assert not delta(counters={"purchases": 1}).is_empty
    assert not delta(values={"partner_program": False}).is_empty
    assert not delta(tags=frozenset({"vip"})).is_empty


def test_applying_a_delta_adds_counters_replaces_values_and_unites_tags() -> None:
    start = CustomerFacts(
        purchases=2, revenue=Decimal("1.5"), reviews=1, last_nps=3, tags=frozenset({"old"})
    )
    after = start.apply(
        delta(
            counters={"purchases": 3, "revenue": Decimal("2.25")},
            values={"last_nps": 9, "partner_program": True},
            tags=frozenset({"vip"}),
        )
    )
    assert after == CustomerFacts(
        purchases=5,
        revenue=Decimal("3.75"),
        reviews=1,
        last_nps=9,
        partner_program=True,
        tags=frozenset({"old", "vip"}),
    )


def test_a_delta_without_tags_keeps_the_tags() -> None:
    start = CustomerFacts(tags=frozenset({"a", "b"}))
    assert start.apply(delta(counters={"reviews": 1})).tags == {"a", "b"}
    assert start.apply(FactsDelta()) == start


def test_each_fact_is_coerced_from_its_written_forms() -> None:
    got = facts_delta(
        {
            "purchases": " 12 ",
            "revenue": " 2.50 ",
            "reviews": 0,
            "advocacy": 3,
            "partner_program": " YES ",
            "last_nps": "10",
            "first_interaction": " 2024-02-29 ",
            "last_purchase": datetime(2025, 1, 2, 23, 30, tzinfo=UTC),
            "tags": " vip, b2b ,, ",
        }
    )
    assert got == Success(
        delta(
            counters={"purchases": 12, "revenue": Decimal("2.50"), "reviews": 0, "advocacy": 3},
            values={
                "partner_program": True,
                "last_nps": 10,
                "first_interaction": date(2024, 2, 29),
                "last_purchase": date(2025, 1, 2),
            },
            tags=frozenset({"vip", "b2b"}),
        )
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (" True ", True),
        ("yes", True),
        ("1", True),
        ("false", False),
        ("No", False),
        (" 0", False),
    ],
)
def test_a_boolean_fact_reads_true_false_yes_no_1_0(raw: object, value: bool) -> None:
    assert facts_delta({"partner_program": raw}) == Success(
        delta(values={"partner_program": value})
    )


@pytest.mark.parametrize("raw", ["maybe", "", "2", 1, 0, 1.0])
def test_anything_else_is_not_a_boolean(raw: object) -> None:
    refused({"partner_program": raw}, bad("partner_program", raw, "must be true or false"))


@pytest.mark.parametrize(("raw", "value"), [(7, 7), (0, 0), ("7", 7), (" 0 ", 0), ("-0", 0)])
def test_an_integer_fact_reads_integers_and_their_text(raw: object, value: int) -> None:
    assert facts_delta({"reviews": raw}) == Success(delta(counters={"reviews": value}))


@pytest.mark.parametrize(
    "raw",
    [True, False, 1.0, "1.5", "", "x1", "X1", "-X1", "1 2", "--1", "²", "-²", Decimal(1), [1]],
)
def test_anything_else_is_not_an_integer(raw: object) -> None:
    refused({"reviews": raw}, bad("reviews", raw, "must be an integer"))


def test_a_malformed_integer_says_so_not_what_python_said() -> None:
    # "--1" and "²" once passed the digit check and reached int(), whose own message
    # ("invalid literal for int() with base 10") was shown
    refused({"reviews": "--1"}, bad("reviews", "--1", "must be an integer"))
    refused({"reviews": "²"}, bad("reviews", "²", "must be an integer"))
    assert facts_delta({"reviews": "١٢"}) == Success(delta(counters={"reviews": 12}))


def test_a_negative_integer_is_read_and_then_refused_as_an_increment() -> None:
    refused({"reviews": "-2"}, bad("reviews", "-2", "increments are not negative"))
    refused({"purchases": -1}, bad("purchases", -1, "increments are not negative"))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (3, Decimal(3)),
        (0, Decimal(0)),
        (1.5, Decimal("1.5")),
        (" 2.50 ", Decimal("2.50")),
        (Decimal("0.01"), Decimal("0.01")),
        ("1e3", Decimal(1000)),
    ],
)
def test_a_decimal_fact_reads_numbers_and_their_text(raw: object, value: Decimal) -> None:
    assert facts_delta({"revenue": raw}) == Success(delta(counters={"revenue": value}))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (True, "must be a number"),
        (False, "must be a number"),
        ([1], "must be a number"),
        (date(2025, 1, 1), "must be a number"),
        (Fraction(4), "must be a number"),  # reads as "4", but is not a number type read
        ("ten", "must be a number"),
        ("", "must be a number"),
        ("NaN", "must be a finite number"),
        ("Infinity", "must be a finite number"),
        (float("inf"), "must be a finite number"),
        ("-0.01", "increments are not negative"),
    ],
)
def test_anything_else_is_not_a_decimal(raw: object, reason: str) -> None:
    refused({"revenue": raw}, bad("revenue", raw, reason))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (date(2025, 2, 3), date(2025, 2, 3)),
        (datetime(2025, 2, 3, 0, 0, tzinfo=UTC), date(2025, 2, 3)),
        (datetime(2025, 2, 3, 23, 59), date(2025, 2, 3)),
        ("2025-02-03", date(2025, 2, 3)),
        ("  2025-02-03\n", date(2025, 2, 3)),
        (None, None),
    ],
)
def test_a_date_fact_reads_dates_datetimes_iso_text_and_null(raw: object, value: object) -> None:
    assert facts_delta({"last_purchase": raw}) == Success(delta(values={"last_purchase": value}))


@pytest.mark.parametrize("raw", ["2025-13-01", "03.02.2025", "", 20250203, Decimal(1)])
def test_anything_else_is_not_a_date(raw: object) -> None:
    refused(
        {"first_interaction": raw}, bad("first_interaction", raw, "must be a date (YYYY-MM-DD)")
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("vip", {"vip"}),
        (" vip , b2b,,  ", {"vip", "b2b"}),
        ("", set()),
        (" , ", set()),
        (["vip", "b2b"], {"vip", "b2b"}),
        (("a",), {"a"}),
        ({"a", "b"}, {"a", "b"}),
        (frozenset({"c"}), {"c"}),
        ([], set()),
    ],
)
def test_tags_read_a_comma_list_or_a_collection_of_strings(raw: object, value: set[str]) -> None:
    assert facts_delta({"tags": raw}) == Success(delta(tags=frozenset(value)))


@pytest.mark.parametrize("raw", [["a", 1], (1,), 5, {"a": "b"}, True])
def test_anything_else_is_not_a_list_of_strings(raw: object) -> None:
    refused({"tags": raw}, bad("tags", raw, "must be a list of strings"))


@pytest.mark.parametrize("name", [n for n, f in FACTS.items() if not f.nullable])
def test_only_nullable_facts_take_null(name: str) -> None:
    refused({name: None}, bad(name, None, "must not be null"))


@pytest.mark.parametrize("name", ["last_nps", "first_interaction", "last_purchase"])
def test_a_nullable_fact_is_cleared_by_null(name: str) -> None:
    assert facts_delta({name: None}) == Success(delta(values={name: None}))


@pytest.mark.parametrize(("nps", "ok"), [(-1, False), (0, True), (10, True), (11, False)])
def test_the_nps_is_0_to_10(nps: int, ok: bool) -> None:
    for raw in (nps, str(nps)):
        got = facts_delta({"last_nps": raw})
        if ok:
            assert got == Success(delta(values={"last_nps": nps}))
        else:
            assert got == Failure(InvalidInput(errors=(bad("last_nps", raw, "must be 0-10"),)))


def test_other_integer_values_have_no_range() -> None:
    # the 0-10 rule is the NPS's own: a counter of 11 is fine
    assert facts_delta({"reviews": 11}) == Success(delta(counters={"reviews": 11}))


def test_an_unknown_fact_lists_the_known_ones() -> None:
    refused({"purchase": 1}, bad("purchase", 1, KNOWN))
    refused({"": "x"}, bad("", "x", KNOWN))


def test_every_bad_field_is_reported_in_input_order() -> None:
    refused(
        {"nope": [1], "reviews": "x", "last_nps": 11, "purchases": -1, "advocacy": 2},
        bad("nope", [1], KNOWN),
        bad("reviews", "x", "must be an integer"),
        bad("last_nps", 11, "must be 0-10"),
        bad("purchases", -1, "increments are not negative"),
    )


def test_facts_from_values_default_the_missing_ones() -> None:
    assert facts_from({}) == Success(CustomerFacts())
    assert facts_from({"purchases": "2", "tags": "vip", "last_nps": 7}) == Success(
        CustomerFacts(purchases=2, tags=frozenset({"vip"}), last_nps=7)
    )
    assert facts_from({"purchases": "two"}) == Failure(
        InvalidInput(errors=(bad("purchases", "two", "must be an integer"),))
    )


# --------------------------------------------------------------------------- metrics


def test_the_evaluator_sees_dates_as_utc_midnight_and_tags_joined() -> None:
    facts = CustomerFacts(
        purchases=2,
        revenue=Decimal("5.5"),
        partner_program=True,
        last_nps=None,
        first_interaction=date(2024, 1, 2),
        last_purchase=None,
        tags=frozenset({"vip", "b2b", "a"}),
    )
    view = fact_view(facts)
    assert list(view) == list(FACTS)
    assert view["first_interaction"] == datetime(2024, 1, 2, tzinfo=UTC)
    assert view["first_interaction"].tzinfo is UTC  # type: ignore[attr-defined]
    assert view["last_purchase"] is None
    assert view["tags"] == "a,b2b,vip"
    assert view["purchases"] == 2
    assert view["revenue"] == Decimal("5.5")
    assert view["partner_program"] is True
    assert view["last_nps"] is None
    assert fact_view(CustomerFacts())["tags"] == ""


@given(customer_facts())
def test_the_evaluators_view_differs_only_in_dates_and_tags(facts: CustomerFacts) -> None:
    view = fact_view(facts)
    for name, value in facts.as_mapping().items():
        if isinstance(value, date):
            assert view[name] == datetime(value.year, value.month, value.day, tzinfo=UTC)
        elif isinstance(value, frozenset):
            assert view[name] == ",".join(sorted(value))
        else:
            assert view[name] == value


def metric(data: Any) -> ExitMetric:
    got = parse_metric(data, where="exit")
    assert isinstance(got, Success), got
    found: ExitMetric = got.unwrap()
    return found


def test_a_metric_holds_only_when_its_filter_is_true() -> None:
    lapsed = metric({"field": "last_purchase", "op": "lt", "value": "90 days ago"})
    day = (NOW - timedelta(days=90)).date()
    assert lapsed.holds(CustomerFacts(last_purchase=day - timedelta(days=1)), now=NOW)
    assert not lapsed.holds(CustomerFacts(last_purchase=day + timedelta(days=1)), now=NOW)
    assert not lapsed.holds(CustomerFacts(), now=NOW)  # unknown is not true
    tagged = metric({"field": "tags", "op": "contains", "value": "vip"})
    assert tagged.holds(CustomerFacts(tags=frozenset({"b2b", "vip"})), now=NOW)
    assert not tagged.holds(CustomerFacts(tags=frozenset({"b2b"})), now=NOW)


@given(customer_facts())
def test_a_metric_reads_only_its_facts_and_decides_as_over_all_of_them(
    facts: CustomerFacts,
) -> None:
    data = {
        "or": [
            {"field": "reviews", "op": "ge", "value": 1},
            {
                "and": [
                    {"field": "last_nps", "op": "ge", "value": 9},
                    {"field": "tags", "op": "contains", "value": "vip"},
                ]
            },
            {"field": "last_purchase", "op": "gt", "value": "30 days ago"},
        ]
    }
    m = metric(data)
    narrow = fact_view(facts, m.fields())
    assert set(narrow) == {"reviews", "last_nps", "tags", "last_purchase"}
    assert m.holds(facts, now=NOW) is matches(m.filter, fact_view(facts), now=NOW)


def test_a_metric_names_the_facts_it_reads_and_its_json() -> None:
    data = {
        "or": [
            {"field": "reviews", "op": "ge", "value": 1},
            {"not": {"field": "tags", "op": "contains", "value": "vip"}},
            {"field": "reviews", "op": "le", "value": 9},
        ]
    }
    got = metric(data)
    assert got.fields() == frozenset({"reviews", "tags"})
    assert got.to_json() == {  # numbers as decimal strings
        "or": [
            {"field": "reviews", "op": "ge", "value": "1"},
            {"not": {"field": "tags", "op": "contains", "value": "vip"}},
            {"field": "reviews", "op": "le", "value": "9"},
        ]
    }


def c(field: str, op: Op, value: Any, kind: FieldType = FieldType.NUMBER) -> Compare:
    return Compare(field=field, type=kind, op=op, value=value)


def described(node: Filter) -> str:
    return ExitMetric(node).describe()


@pytest.mark.parametrize(
    ("op", "symbol"),
    [(Op.EQ, "="), (Op.NE, "!="), (Op.LT, "<"), (Op.LE, "<="), (Op.GT, ">"), (Op.GE, ">=")],
)
def test_each_comparison_reads_as_its_symbol(op: Op, symbol: str) -> None:
    assert described(c("reviews", op, Decimal(2))) == f"reviews {symbol} 2"


def test_the_other_operators_read_as_their_names() -> None:
    assert described(c("reviews", Op.IN, (Decimal(1), Decimal(2)))) == "reviews in [1, 2]"
    assert described(c("reviews", Op.BETWEEN, (Decimal(1), Decimal(3)))) == (
        "reviews between [1, 3]"
    )
    assert described(c("tags", Op.CONTAINS, "vip", FieldType.STRING)) == 'tags contains "vip"'
    assert described(c("tags", Op.IN, ("a", "b"), FieldType.STRING)) == 'tags in ["a", "b"]'
    assert described(c("last_nps", Op.IS_NULL, True)) == "last_nps is null"
    assert described(c("last_nps", Op.IS_NULL, False)) == "last_nps is not null"


def test_values_read_as_written() -> None:
    assert described(c("partner_program", Op.EQ, True, FieldType.BOOL)) == "partner_program = true"
    assert described(c("partner_program", Op.NE, False, FieldType.BOOL)) == (
        "partner_program != false"
    )
    assert described(c("revenue", Op.GE, Decimal("10.50"))) == "revenue >= 10.50"
    assert described(c("tags", Op.EQ, "", FieldType.STRING)) == 'tags = ""'


@pytest.mark.parametrize(
    ("delta_", "text"),
    [
        (timedelta(0), "now"),
        (timedelta(days=90), "90 days ago"),
        (timedelta(days=1), "1 days ago"),
        (timedelta(days=1, hours=12), "1.5 days ago"),
        (timedelta(hours=6), "0.25 days ago"),
        (timedelta(days=365), "365 days ago"),
        (timedelta(days=1000000), "1e+06 days ago"),
    ],
)
def test_a_relative_time_reads_in_days(delta_: timedelta, text: str) -> None:
    node = c("last_purchase", Op.LT, RelativeInstant(delta_), FieldType.DATETIME)
    assert described(node) == f"last_purchase < {text}"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 1, 2, tzinfo=UTC), "2025-01-02"),
        (datetime(2025, 1, 2, 0, 0, 1, tzinfo=UTC), "2025-01-02T00:00:01+00:00"),
        (datetime(2025, 1, 2, 10, 30, tzinfo=UTC), "2025-01-02T10:30:00+00:00"),
        (datetime(2025, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=3))), "2025-01-02"),
        (
            datetime(2025, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=3))),
            "2025-01-01T21:00:00+00:00",
        ),
    ],
)
def test_an_instant_reads_as_a_utc_date_at_midnight_else_in_full(
    moment: datetime, text: str
) -> None:
    node = c("last_purchase", Op.GE, moment, FieldType.DATETIME)
    assert described(node) == f"last_purchase >= {text}"


@pytest.fixture
def tokyo_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is Tokyo (UTC+9) for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_server")
def test_an_instant_reads_in_utc_whatever_the_servers_zone() -> None:
    assert datetime(2025, 1, 2, 9, 0, tzinfo=UTC).astimezone().utcoffset() == timedelta(hours=9)
    midnight = c("last_purchase", Op.GE, datetime(2025, 1, 2, tzinfo=UTC), FieldType.DATETIME)
    assert described(midnight) == "last_purchase >= 2025-01-02"
    morning = c("last_purchase", Op.GE, datetime(2025, 1, 2, 9, tzinfo=UTC), FieldType.DATETIME)
    assert described(morning) == "last_purchase >= 2025-01-02T09:00:00+00:00"


def test_combinators_group_only_what_needs_it() -> None:
    a = c("purchases", Op.GE, Decimal(2))
    b = c("reviews", Op.GE, Decimal(1))
    d = c("advocacy", Op.GE, Decimal(1))
    assert described(And((a, b))) == "purchases >= 2 and reviews >= 1"
    assert described(Or((a, b))) == "purchases >= 2 or reviews >= 1"
    assert described(Or((a,))) == "purchases >= 2"
    assert described(Not(a)) == "not purchases >= 2"
    assert described(Not(And((a, b)))) == "not (purchases >= 2 and reviews >= 1)"
    assert described(Not(Or((a, b)))) == "not (purchases >= 2 or reviews >= 1)"
    assert described(Not(Not(a))) == "not not purchases >= 2"
    assert described(Or((And((a, b)), d))) == "(purchases >= 2 and reviews >= 1) or advocacy >= 1"
    assert described(And((Or((a, b)), Not(d)))) == (
        "(purchases >= 2 or reviews >= 1) and not advocacy >= 1"
    )


def test_a_parsed_metric_is_its_filter() -> None:
    got = parse_metric({"field": "reviews", "op": "ge", "value": 1}, where="levels[1] a.exit")
    assert got == Success(ExitMetric(c("reviews", Op.GE, Decimal(1))))


def test_a_bad_metric_names_each_error_from_where_it_is() -> None:
    where = "levels[4] regular.exit"
    got = parse_metric(
        {
            "and": [
                {"field": "reviews", "op": "ge", "value": "x"},
                {"field": "nope", "op": "eq", "value": 1},
            ]
        },
        where=where,
    )
    assert isinstance(got, Failure)
    fields = [e.field for e in got.failure()]
    assert fields == [f"{where}.and[0].value", f"{where}.and[1].field"]
    whole = parse_metric({"x": 1, "field": "reviews", "op": "ge", "value": 1}, where=where)
    assert isinstance(whole, Failure)
    assert [e.field for e in whole.failure()] == [where]
    assert whole.failure()[0].reason.startswith("unknown keys")


@settings(max_examples=60)
@given(a=customer_facts(), b=customer_facts(), c=customer_facts())
def test_combining_two_customers_facts_adds_counters_and_joins_the_rest(
    a: CustomerFacts, b: CustomerFacts, c: CustomerFacts
) -> None:
    """A merge's union of facts: empty facts change nothing, counters add, the order of
    the two only decides whose last NPS wins, and three merge alike in any grouping."""
    both = combine_facts(a, b)
    assert combine_facts(a, CustomerFacts()) == a
    for name, fact in FACTS.items():
        if fact.counter:
            assert getattr(both, name) == getattr(a, name) + getattr(b, name)
    assert both.tags == a.tags | b.tags
    assert both.last_nps == (a.last_nps if a.last_nps is not None else b.last_nps)
    assert attrs.evolve(both, last_nps=None) == attrs.evolve(combine_facts(b, a), last_nps=None)
    assert combine_facts(combine_facts(a, b), c) == combine_facts(a, combine_facts(b, c))
    dates = [d for d in (a.first_interaction, b.first_interaction) if d is not None]
    assert both.first_interaction == min(dates, default=None)
