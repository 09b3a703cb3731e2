"""Validation and normalisation of incoming interaction events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.interactions import (
    Interaction,
    InteractionType,
    Purchase,
    UsageLimit,
    has_control_characters,
    parse_interaction,
)
from tests.strategies import raw_interactions


def _event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "evt-1",
        "type": "purchase",
        "occurred_at": "2026-01-05T12:00:00+03:00",
        "customer": {"email": "Ivan@Example.COM", "phone": "8 (900) 123-45-67"},
        "data": {"amount": "12.50", "currency": "rub"},
    }
    base.update(overrides)
    return base


def _ok(raw: object) -> Interaction:
    result = parse_interaction(raw, region="RU")
    assert isinstance(result, Success), result
    event: Interaction = result.unwrap()
    return event


def _paths(raw: object) -> set[str]:
    result = parse_interaction(raw, region="RU")
    assert isinstance(result, Failure)
    return {e.field for e in result.failure()}


def test_normalises_phone_email_time_and_money() -> None:
    event = _ok(_event())
    assert event.customer.phone is not None
    assert event.customer.phone.e164 == "+79001234567"
    assert event.customer.email is not None
    assert event.customer.email.value == "ivan@example.com"
    assert event.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert event.utc_offset == timedelta(hours=3)
    assert isinstance(event.details, Purchase)
    assert event.details.amount.currency == "RUB"


def test_default_region_is_configurable() -> None:
    raw = _event(customer={"phone": "(201) 555-0123"})
    us = parse_interaction(raw, region="US")
    assert isinstance(us, Success)
    assert us.unwrap().customer.phone is not None
    assert us.unwrap().customer.phone.e164 == "+12015550123"
    assert isinstance(parse_interaction(raw, region="RU"), Failure)


@given(raw_interactions())
def test_every_generated_event_parses_and_round_trips(raw: dict[str, Any]) -> None:
    event = _ok(raw)
    again = _ok(event.to_json())
    assert again == event
    trusted = parse_interaction(event.to_json(), trusted=True)
    assert trusted == Success(event)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"id": ""}, "$.id"),
        ({"id": 5}, "$.id"),
        ({"type": "purchased"}, "$.type"),
        ({"occurred_at": "2026-01-05T12:00:00"}, "$.occurred_at"),
        ({"occurred_at": "yesterday"}, "$.occurred_at"),
        ({"customer": {}}, "$.customer"),
        ({"customer": {"phone": "12"}}, "$.customer.phone"),
        ({"customer": {"email": "not-an-email"}}, "$.customer.email"),
        ({"data": {"amount": "abc", "currency": "RUB"}}, "$.data.amount"),
        ({"data": {"amount": "-1", "currency": "RUB"}}, "$.data.amount"),
        ({"data": {"amount": "1", "currency": "XXQ"}}, "$.data.currency"),
        ({"data": {"amount": "1", "currency": "RUB", "colour": "red"}}, "$.data.colour"),
        ({"version": 2}, "$.version"),
        ({"extra": 1}, "$.extra"),
    ],
)
def test_each_problem_is_reported_at_its_json_path(change: dict[str, Any], path: str) -> None:
    assert path in _paths(_event(**change))


def test_every_problem_is_reported_at_once() -> None:
    raw = _event(id="", occurred_at="x", customer={}, data={"amount": True})
    assert _paths(raw) >= {"$.id", "$.occurred_at", "$.customer", "$.data.amount"}


def test_huge_strings_are_refused_not_truncated() -> None:
    raw = _event(type="review", data={"text": "a" * 20_000})
    assert "$.data.text" in _paths(raw)


def test_non_objects_are_refused() -> None:
    assert _paths([1, 2]) == {"$"}
    assert _paths("text") == {"$"}


@given(raw_interactions(), st.sampled_from(["id", "type", "occurred_at", "customer"]))
def test_dropping_a_required_field_names_it(raw: dict[str, Any], field: str) -> None:
    broken = copy.deepcopy(raw)
    del broken[field]
    assert f"$.{field}" in _paths(broken)


def test_types_cover_the_issue() -> None:
    assert {t.value for t in InteractionType} == {
        "purchase",
        "email_opened",
        "email_clicked",
        "app_login",
        "review",
        "message",
        "form_answer",
        "billing",
        "usage_limit",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"extra": 1},
        {"customer": "nobody"},
        {"data": {"amount": "NaN", "currency": "RUB"}},
        {"data": {"amount": "1", "currency": "XXX"}},
        {"occurred_at": "2026-01-05T12:00:00"},
        {"type": "fax"},
    ],
)
def test_trusted_json_of_another_shape_goes_through_the_full_parse(change: dict[str, Any]) -> None:
    raw = {**_ok(_event()).to_json(), **change}
    assert parse_interaction(raw, trusted=True) == parse_interaction(raw, region="RU")


_OLD_CONTROL = st.text(
    alphabet=st.characters(max_codepoint=0x2000) | st.sampled_from("\ufffd\n\t\r"), max_size=30
)


@given(_OLD_CONTROL)
def test_control_characters_are_found_as_the_character_scan_found_them(text: str) -> None:
    scan = any(ord(ch) < 32 and ch not in "\n\t\r" for ch in text) or "\ufffd" in text
    assert has_control_characters(text) == scan


def test_a_usage_limit_reads_its_counts_and_refuses_bad_ones() -> None:
    raw = {"id": "u1", "type": "usage_limit", "occurred_at": "2026-01-05T10:00:00Z",
           "customer": {"user_id": "u-1"},
           "data": {"feature": " storage ", "value": 10, "limit": 10}}  # fmt: skip
    parsed = parse_interaction(raw).unwrap()
    assert parsed.details == UsageLimit(feature="storage", value=10, limit=10)
    assert parse_interaction(parsed.to_json()).unwrap() == parsed
    for value, limit in ((-1, 5), (True, 5), (1.0, 5), ("3", 5), (5, 2**53), (5, None)):
        broken = {**raw, "data": {"feature": "storage", "value": value, "limit": limit}}
        wrong = _paths(broken)
        assert wrong == ({"$.data.value"} if limit == 5 else {"$.data.limit"})
    assert _paths({**raw, "data": {"value": 1, "limit": 2}}) == {"$.data.feature"}
