"""The filter language (C7): parsing with clear errors and three-valued evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from returns.result import Failure, Success

from crmcore.domain.errors import InvalidInput
from crmcore.domain.filters import (
    CUSTOMER_FIELDS,
    FieldType,
    Filter,
    fields_used,
    matches,
    parse_filter,
    to_json,
    truth,
)
from tests.strategies import FILTER_NOW, FILTER_TEST_FIELDS, filter_trees

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
CATALOGUE = {name: FieldType(kind) for name, kind in FILTER_TEST_FIELDS.items()}


def ok(data: object) -> Filter:
    result = parse_filter(data, CATALOGUE)
    assert isinstance(result, Success), result
    node: Filter = result.unwrap()
    return node


def errors(data: object) -> list[str]:
    result = parse_filter(data, CATALOGUE)
    assert isinstance(result, Failure)
    failure = result.failure()
    assert isinstance(failure, InvalidInput)
    return [f"{e.field}: {e.reason}" for e in failure.errors]


def test_unknown_field_is_a_clear_error_listing_the_known_ones() -> None:
    (message,) = errors({"field": "c.nope", "op": "eq", "value": 1})
    assert message.startswith("filter.field: unknown field")
    assert "c.spend" in message


def test_wrong_value_type_names_the_json_path() -> None:
    found = errors({"and": [{"field": "c.spend", "op": "gt", "value": "lots"}]})
    assert found == ["filter.and[0].value: must be a number"]


def test_operator_not_allowed_on_type() -> None:
    (message,) = errors({"field": "c.name", "op": "lt", "value": "a"})
    assert "not allowed on string field c.name" in message


def test_every_error_of_a_filter_is_reported() -> None:
    found = errors(
        {
            "or": [
                {"field": "c.active", "op": "eq", "value": "yes"},
                {"field": "c.tier", "op": "in", "value": []},
            ]
        }
    )
    assert len(found) == 2


def test_malformed_nodes() -> None:
    assert errors([]) == ["filter: must be an object"]
    assert errors({"and": []}) == ["filter.and: must be a non-empty list"]
    assert "unknown keys" in errors({"field": "c.name", "op": "eq", "value": "a", "x": 1})[0]
    assert errors({"field": "c.seen_at", "op": "between", "value": "yesterday-ish"})


def test_relative_dates_resolve_against_the_injected_now() -> None:
    node = ok({"field": "c.seen_at", "op": "between", "value": "last 30 days"})
    assert matches(node, {"c.seen_at": NOW - timedelta(days=29)}, now=NOW)
    assert not matches(node, {"c.seen_at": NOW - timedelta(days=31)}, now=NOW)
    later = NOW + timedelta(days=10)
    assert not matches(node, {"c.seen_at": NOW - timedelta(days=29)}, now=later)
    ago = ok({"field": "c.seen_at", "op": "lt", "value": "7 days ago"})
    assert matches(ago, {"c.seen_at": NOW - timedelta(days=8)}, now=NOW)


def test_nulls_follow_sql_three_valued_logic() -> None:
    eq = ok({"field": "c.tier", "op": "eq", "value": "gold"})
    assert truth(eq, {"c.tier": None}, now=NOW) is None
    assert not matches(ok({"not": {"field": "c.tier", "op": "eq", "value": "gold"}}), {}, now=NOW)
    assert matches(ok({"field": "c.tier", "op": "is_null", "value": True}), {}, now=NOW)
    either = ok(
        {
            "or": [
                {"field": "c.tier", "op": "eq", "value": "x"},
                {"field": "c.active", "op": "eq", "value": True},
            ]
        }
    )
    assert matches(either, {"c.active": True}, now=NOW)


def test_numbers_compare_exactly() -> None:
    node = ok({"field": "c.spend", "op": "between", "value": [0.1, "0.30"]})
    assert matches(node, {"c.spend": Decimal("0.3")}, now=NOW)
    assert matches(node, {"c.spend": 0.1}, now=NOW)


def test_contains_is_case_insensitive() -> None:
    node = ok({"field": "c.name", "op": "contains", "value": "GOLD"})
    assert matches(node, {"c.name": "rose gold"}, now=NOW)


def test_the_customer_catalogue_knows_contact_account_behaviour_score_and_card_fields() -> None:
    prefixes = {name.split(".")[0] for name in CUSTOMER_FIELDS}
    assert prefixes == {"contact", "account", "behaviour", "score", "card"}


@given(filter_trees)
def test_json_round_trip_keeps_the_meaning(data: dict[str, object]) -> None:
    node = ok(data)
    again = ok(to_json(node))
    assert fields_used(again) == fields_used(node)
    facts = {"c.spend": Decimal(1), "c.name": "gold", "c.seen_at": FILTER_NOW}
    assert truth(again, facts, now=FILTER_NOW) == truth(node, facts, now=FILTER_NOW)
