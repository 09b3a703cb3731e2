"""Incoming interactions pinned: each field's limit on and just past its line, each
problem's JSON path, shown value and text, the defaults, the details of every type, the
trusted read-back, and the canonical JSON form written out for each type.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from returns.result import Failure, Success

from crmcore.domain.email import Email
from crmcore.domain.interactions import (
    AppLogin,
    Billing,
    BillingKind,
    Customer,
    EmailEngagement,
    Feedback,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
    UsageLimit,
    has_control_characters,
    parse_interaction,
)
from crmcore.domain.money import Money
from crmcore.domain.phone import Phone

AT = "2026-01-05T12:00:00+03:00"


def event(kind: str = "app_login", data: object = None, **top: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "e-1",
        "type": kind,
        "occurred_at": AT,
        "customer": {"user_id": "u-1"},
    }
    if data is not None:
        raw["data"] = data
    raw.update(top)
    return raw


def ok(raw: object, **kw: Any) -> Interaction:
    result = parse_interaction(raw, region="RU", **kw)
    assert isinstance(result, Success), result
    parsed: Interaction = result.unwrap()
    return parsed


def errs(raw: object) -> list[tuple[str, str, str]]:
    result = parse_interaction(raw, region="RU")
    assert isinstance(result, Failure), result
    return [(e.field, e.value, e.reason) for e in result.failure()]


TYPES = (
    "purchase, email_opened, email_clicked, app_login, review, message, form_answer, billing, "
    "usage_limit"
)
KINDS = "payment, refund, subscription_renewed, subscription_cancelled, invoice_overdue"


# --- the envelope ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "got"),
    [
        ([1], "array"),
        ((1,), "array"),
        ("x", "string"),
        (None, "null"),
        (True, "boolean"),
        (3, "number"),
        (2.5, "number"),
        (b"x", "bytes"),
    ],
)
def test_an_event_must_be_an_object(raw: object, got: str) -> None:
    shown = raw if isinstance(raw, str) else repr(raw)
    assert errs(raw) == [("$", shown, f"must be an object, got {got}")]


def test_unknown_top_level_fields_are_each_named() -> None:
    assert errs(event(extra=1, other="x")) == [
        ("$.extra", "1", "unknown field"),
        ("$.other", "x", "unknown field"),
    ]
    odd_key: dict[object, object] = {}
    odd_key.update(event())
    odd_key[7] = "x"
    assert errs(odd_key) == [("$.7", "x", "unknown field")]


def test_the_id_is_required_trimmed_and_at_most_128_characters() -> None:
    assert ok(event(id="  e-2 ")).event_id == "e-2"
    assert ok(event(id=" " + "a" * 128 + " ")).event_id == "a" * 128
    long = "a" * 129
    assert errs(event(id=long)) == [("$.id", long[:57] + "...", "longer than 128 characters (129)")]
    assert errs(event(id=None)) == [("$.id", "None", "is required")]
    raw = event()
    del raw["id"]
    assert errs(raw) == [("$.id", "None", "is required")]
    assert errs(event(id="  ")) == [("$.id", "  ", "must not be blank")]
    assert errs(event(id=5)) == [("$.id", "5", "must be a string, got number")]
    assert errs(event(id={"a": 1})) == [("$.id", "{'a': 1}", "must be a string, got object")]
    assert errs(event(id=[1])) == [("$.id", "[1]", "must be a string, got array")]
    assert errs(event(id=False)) == [("$.id", "False", "must be a string, got boolean")]
    assert errs(event(id="a\x00b")) == [
        ("$.id", "a\x00b", "contains control or undecodable characters")
    ]


def test_shown_values_are_cut_at_60_characters() -> None:
    at_limit = "x" * 60
    assert errs(event(extra=at_limit)) == [("$.extra", at_limit, "unknown field")]
    over = "x" * 61
    assert errs(event(extra=over)) == [("$.extra", "x" * 57 + "...", "unknown field")]


@pytest.mark.parametrize("raw_type", ["fax", 5, "Purchase"])
def test_an_unknown_type_lists_the_known_ones(raw_type: object) -> None:
    shown = raw_type if isinstance(raw_type, str) else repr(raw_type)
    assert errs(event(kind=raw_type)) == [  # type: ignore[arg-type]
        ("$.type", shown, f"unknown event type; one of {TYPES}")
    ]


def test_a_missing_type_is_required_and_a_bad_data_is_still_reported() -> None:
    raw = event()
    del raw["type"]
    assert errs(raw) == [("$.type", "None", "is required")]
    raw["data"] = [1]
    assert errs(raw) == [
        ("$.type", "None", "is required"),
        ("$.data", "[1]", "must be an object, got array"),
    ]
    raw["data"] = {"anything": 1}
    assert errs(raw) == [("$.type", "None", "is required")]


def test_the_version_defaults_to_1_and_newer_ones_are_refused() -> None:
    assert ok(event(version=1)) == ok(event())
    for bad in (0, -1, True, "1", 1.0, None):
        assert errs(event(version=bad)) == [
            ("$.version", bad if isinstance(bad, str) else repr(bad), "must be a positive integer")
        ]
    assert errs(event(version=2)) == [("$.version", "2", "newer than this code reads (1)")]


@pytest.mark.parametrize(
    ("stamp", "at", "offset"),
    [
        (AT, datetime(2026, 1, 5, 9, tzinfo=UTC), timedelta(hours=3)),
        ("2026-01-05T12:00:00Z", datetime(2026, 1, 5, 12, tzinfo=UTC), timedelta(0)),
        ("2026-01-05t12:00:00z", datetime(2026, 1, 5, 12, tzinfo=UTC), timedelta(0)),
        ("  2026-01-05T12:00:00-05:00 ", datetime(2026, 1, 5, 17, tzinfo=UTC), timedelta(hours=-5)),
        (
            " " * 8 + "2026-01-05T12:00:00.123456+03:00",
            datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
            timedelta(hours=3),
        ),
    ],
)
def test_the_time_is_kept_in_utc_with_its_offset(
    stamp: str, at: datetime, offset: timedelta
) -> None:
    parsed = ok(event(occurred_at=stamp))
    assert parsed.occurred_at == at
    assert parsed.occurred_at.utcoffset() == timedelta(0)
    assert parsed.utc_offset == offset
    assert parsed.local_time == at
    assert parsed.local_time.utcoffset() == offset


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        (None, "is required"),
        (5, "must be an ISO 8601 date-time string"),
        (" " * 9 + "2026-01-05T12:00:00.123456+03:00", "must be an ISO 8601 date-time string"),
        ("yesterday", "not an ISO 8601 date-time"),
        ("2026-01-05T12:00:00", "needs a UTC offset (e.g. +03:00 or Z)"),
        ("0001-01-01T00:00:00+01:00", "out of range in UTC"),
        ("9999-12-31T23:59:59-01:00", "out of range in UTC"),
    ],
)
def test_bad_times_are_refused(stamp: object, reason: str) -> None:
    shown = stamp if isinstance(stamp, str) else repr(stamp)
    assert errs(event(occurred_at=stamp)) == [("$.occurred_at", shown, reason)]


def test_the_source_is_optional_trimmed_and_blank_means_none() -> None:
    assert ok(event()).source is None
    assert ok(event(source="  shop ")).source == "shop"
    assert ok(event(source="   ")).source is None
    assert ok(event(source="s" * 200)).source == "s" * 200
    assert errs(event(source="s" * 201))[0][2] == "longer than 200 characters (201)"


# --- the customer --------------------------------------------------------------------------


def test_the_customer_is_required_and_needs_one_key() -> None:
    raw = event()
    del raw["customer"]
    assert errs(raw) == [("$.customer", "None", "is required")]
    assert errs(event(customer="x")) == [("$.customer", "x", "must be an object, got string")]
    need = ("$.customer", "{}", "needs at least one of user_id, email, phone")
    assert errs(event(customer={})) == [need]
    assert errs(event(customer={"first_name": "Ann", "user_id": " "})) == [need]
    assert errs(event(customer={"user_id": "u", "age": 3})) == [
        ("$.customer.age", "3", "unknown field")
    ]


def test_each_customer_key_alone_is_enough_and_names_are_kept() -> None:
    assert ok(event(customer={"user_id": " u "})).customer == Customer(user_id="u")
    by_email = ok(event(customer={"email": "Ann@Example.COM"})).customer
    assert by_email == Customer(email=Email("ann@example.com"))
    by_phone = ok(event(customer={"phone": "8 (900) 123-45-67"})).customer
    assert by_phone == Customer(phone=Phone("+79001234567"))
    named = ok(event(customer={"user_id": "u", "first_name": " Ann ", "last_name": "Lee"}))
    assert named.customer == Customer(user_id="u", first_name="Ann", last_name="Lee")


@pytest.mark.parametrize(
    ("key", "limit"),
    [("user_id", 128), ("email", 320), ("phone", 40), ("first_name", 100), ("last_name", 100)],
)
def test_customer_fields_have_their_limits(key: str, limit: int) -> None:
    over = "a" * (limit + 1)
    found = errs(event(customer={"user_id": "u", key: over}))
    shown = over if len(over) <= 60 else over[:57] + "..."
    assert found == [(f"$.customer.{key}", shown, f"longer than {limit} characters ({limit + 1})")]
    if key in ("first_name", "last_name", "user_id"):
        at_limit = ok(event(customer={"user_id": "u", key: "a" * limit})).customer
        assert getattr(at_limit, key) == "a" * limit


def test_a_bad_email_or_phone_is_reported_without_the_needs_a_key_error() -> None:
    found = errs(event(customer={"email": "bad", "phone": "12"}))
    assert [(f, v) for f, v, _ in found] == [
        ("$.customer.email", "bad"),
        ("$.customer.phone", "12"),
    ]
    assert errs(event(customer={"user_id": "u", "phone": "12"})) == [
        ("$.customer.phone", "12", "not a valid number for RU")
    ]


def test_the_phone_region_is_the_callers() -> None:
    raw = event(customer={"phone": "(201) 555-0123"})
    us = parse_interaction(raw, region="US")
    assert isinstance(us, Success)
    assert us.unwrap().customer.phone == Phone("+12015550123")


def test_trusted_json_skips_the_email_and_phone_checks() -> None:
    raw = event(customer={"email": "As@Written", "phone": "12"})
    trusted = ok(raw, trusted=True).customer
    assert trusted.email == Email("As@Written")
    assert trusted.phone == Phone("12")
    assert isinstance(parse_interaction(raw), Failure)


# --- details -----------------------------------------------------------------------------


def test_a_purchase_needs_an_amount_and_a_currency() -> None:
    parsed = ok(event("purchase", {"amount": "12.50", "currency": "rub", "order_id": " o-1 "}))
    assert parsed.details == Purchase(amount=Money(Decimal("12.50"), "RUB"), order_id="o-1")
    assert ok(event("purchase", {"amount": 12, "currency": "RUB"})).details == Purchase(
        amount=Money(Decimal(12), "RUB")
    )
    assert ok(event("purchase", {"amount": 0.1, "currency": "RUB"})).details == Purchase(
        amount=Money(Decimal("0.1"), "RUB")
    )
    assert ok(event("purchase", {"amount": "0", "currency": "RUB"})).details == Purchase(
        amount=Money(Decimal(0), "RUB")
    )
    required = [("$.data.amount", "None", "is required")]
    assert errs(event("purchase", {})) == required
    raw = event("purchase")
    assert errs(raw) == required
    assert errs(event("purchase", {"currency": "RUB"})) == required
    assert errs(event("purchase", {"amount": "1"})) == [
        ("$.data.currency", "None", "is required (ISO 4217 code)")
    ]
    assert errs(event("purchase", {"amount": "1", "currency": 643})) == [
        ("$.data.currency", "643", "is required (ISO 4217 code)")
    ]
    assert errs(event("purchase", {"amount": "1", "currency": "XQQ"})) == [
        ("$.data.currency", "XQQ", "not an ISO-4217 code")
    ]
    assert errs(event("purchase", {"amount": "x", "currency": "RUB"})) == [
        ("$.data.amount", "x", "not a decimal number")
    ]
    assert errs(event("purchase", {"amount": "1", "currency": "RUB", "order_id": "o" * 129})) == [
        ("$.data.order_id", "o" * 57 + "...", "longer than 128 characters (129)")
    ]


@pytest.mark.parametrize(
    ("amount", "got"), [(True, "boolean"), ([1], "array"), ({"v": 1}, "object")]
)
def test_an_amount_must_be_a_decimal(amount: object, got: str) -> None:
    assert errs(event("purchase", {"amount": amount, "currency": "RUB"})) == [
        ("$.data.amount", repr(amount), f"must be a decimal string, got {got}")
    ]


def test_an_amount_is_at_most_40_characters_not_negative_and_below_1e15() -> None:
    forty = "0" * 37 + "1.5"
    assert ok(event("purchase", {"amount": forty, "currency": "RUB"})).details == Purchase(
        amount=Money(Decimal("1.5"), "RUB")
    )
    assert errs(event("purchase", {"amount": "0" + forty, "currency": "RUB"})) == [
        ("$.data.amount", "0" + forty, "too long for an amount")
    ]
    for kind, data in (("purchase", {}), ("billing", {"kind": "refund"})):
        assert errs(event(kind, {**data, "amount": "-0.01", "currency": "RUB"})) == [
            ("$.data.amount", "-0.01", "must not be negative")
        ]
    top = "999999999999999.99"
    assert ok(event("purchase", {"amount": top, "currency": "RUB"})).details == Purchase(
        amount=Money(Decimal(top), "RUB")
    )
    assert errs(event("purchase", {"amount": "1000000000000000", "currency": "RUB"})) == [
        (
            "$.data.amount",
            "1000000000000000",
            "out of range: |amount| must be below 10^15 with at most 4 decimal places",
        )
    ]


def test_email_engagement_details() -> None:
    opened = ok(event("email_opened", {"campaign_id": " c ", "message_id": "m"})).details
    assert opened == EmailEngagement(campaign_id="c", message_id="m", url=None)
    assert ok(event("email_opened")).details == EmailEngagement()
    assert errs(event("email_opened", {"url": "https://x"})) == [
        ("$.data.url", "https://x", "unknown field")
    ]
    clicked = ok(event("email_clicked", {"url": " https://x ", "campaign_id": "c"})).details
    assert clicked == EmailEngagement(campaign_id="c", url="https://x")
    assert errs(event("email_clicked", {})) == [("$.data.url", "None", "is required")]
    long = "h" * 2049
    assert ok(event("email_clicked", {"url": long[:-1]})).details == EmailEngagement(url=long[:-1])
    assert errs(event("email_clicked", {"url": long}))[0][2] == "longer than 2048 characters (2049)"
    assert errs(event("email_opened", {"message_id": "m" * 129}))[0][:1] == ("$.data.message_id",)
    assert errs(event("email_opened", {"campaign_id": "c" * 129}))[0][:1] == ("$.data.campaign_id",)


def test_app_login_details() -> None:
    assert ok(event("app_login", {"device": " ios "})).details == AppLogin(device="ios")
    assert ok(event("app_login")).details == AppLogin()
    assert errs(event("app_login", {"device": "d" * 201}))[0][2] == (
        "longer than 200 characters (201)"
    )


def test_review_and_message_details() -> None:
    review = ok(event("review", {"text": " great ", "rating": 5, "channel": " web "})).details
    assert review == Feedback(text="great", channel="web", rating=5)
    assert ok(event("review", {"text": "ok", "rating": 1})).details == Feedback(text="ok", rating=1)
    assert ok(event("review", {"text": "ok"})).details == Feedback(text="ok")
    assert ok(event("review", {"text": "t" * 10_000})).details == Feedback(text="t" * 10_000)
    assert errs(event("review", {"text": "t" * 10_001}))[0][2] == (
        "longer than 10000 characters (10001)"
    )
    assert errs(event("review", {})) == [("$.data.text", "None", "is required")]
    assert errs(event("review", {"text": "ok", "channel": "c" * 51}))[0][2] == (
        "longer than 50 characters (51)"
    )
    for rating in (0, 6, True, "5", 4.5):
        shown = rating if isinstance(rating, str) else repr(rating)
        assert errs(event("review", {"text": "ok", "rating": rating})) == [
            ("$.data.rating", shown, "must be an integer from 1 to 5")
        ]
    message = ok(event("message", {"text": "hi", "channel": "sms"})).details
    assert message == Feedback(text="hi", channel="sms")
    assert errs(event("message", {"text": "hi"})) == [("$.data.channel", "None", "is required")]
    assert errs(event("message", {"text": "hi", "channel": "sms", "rating": 5})) == [
        ("$.data.rating", "5", "unknown field")
    ]


def test_form_answers() -> None:
    answers: dict[str, str | int | float | bool | None] = {
        "nps": 10,
        "why": "fast",
        "n": 1.5,
        "ok": True,
        "skip": None,
    }
    parsed = ok(event("form_answer", {"form_id": " f ", "answers": answers})).details
    assert parsed == FormAnswer(form_id="f", answers=answers)
    assert ok(event("form_answer", {"form_id": "f", "answers": {"nps": 0}})).details == FormAnswer(
        form_id="f", answers={"nps": 0}
    )
    assert errs(event("form_answer", {"answers": {}})) == [
        ("$.data.form_id", "None", "is required")
    ]
    assert errs(event("form_answer", {"form_id": "f"})) == [
        ("$.data.answers", "None", "is required")
    ]
    assert errs(event("form_answer", {"form_id": "f", "answers": [1]})) == [
        ("$.data.answers", "[1]", "must be an object, got array")
    ]
    hundred = {f"q{i}": i for i in range(100)}
    assert ok(event("form_answer", {"form_id": "f", "answers": hundred})).details == FormAnswer(
        form_id="f", answers=hundred
    )
    assert errs(event("form_answer", {"form_id": "f", "answers": {**hundred, "x": 1}})) == [
        ("$.data.answers", "101 answers", "more than 100")
    ]


def test_each_bad_answer_is_named() -> None:
    key = "k" * 100
    assert ok(event("form_answer", {"form_id": "f", "answers": {key: "a" * 10_000}})).details == (
        FormAnswer(form_id="f", answers={key: "a" * 10_000})
    )
    bad = {"": 1, key + "k": 2, "long": "a" * 10_001, "list": [1], "fine": 3}
    assert errs(event("form_answer", {"form_id": "f", "answers": bad})) == [
        ("$.data.answers.", "", "answer keys are 1-100 characters"),
        (f"$.data.answers.{key}k", "k" * 57 + "...", "answer keys are 1-100 characters"),
        ("$.data.answers.long", "a" * 57 + "...", "longer than 10000 characters"),
        ("$.data.answers.list", "[1]", "must be a string, number, boolean or null"),
    ]
    assert errs(event("form_answer", {"form_id": "f", "answers": {3: "x"}})) == [
        ("$.data.answers.3", "3", "answer keys are 1-100 characters")
    ]


@pytest.mark.parametrize("nps", [-1, 11, True, "5", 5.0, None])
def test_an_nps_answer_is_an_integer_from_0_to_10(nps: object) -> None:
    shown = nps if isinstance(nps, str) else repr(nps)
    assert errs(event("form_answer", {"form_id": "f", "answers": {"nps": nps}})) == [
        ("$.data.answers.nps", shown, "NPS is an integer from 0 to 10")
    ]


def test_usage_limit_details() -> None:
    data = {"feature": "storage", "value": 0, "limit": 2**53 - 1}
    assert ok(event("usage_limit", data)).details == UsageLimit(
        feature="storage", value=0, limit=2**53 - 1
    )
    counts = "must be an integer from 0 to 9007199254740991"
    assert errs(event("usage_limit", {})) == [
        ("$.data.feature", "None", "is required"),
        ("$.data.value", "None", "is required"),
        ("$.data.limit", "None", "is required"),
    ]
    assert errs(event("usage_limit", {"feature": " ", "value": -1, "limit": 2**53})) == [
        ("$.data.feature", " ", "must not be blank"),
        ("$.data.value", "-1", counts),
        ("$.data.limit", "9007199254740992", counts),
    ]
    assert errs(event("usage_limit", {"feature": "f" * 129, "value": 1.0, "limit": False})) == [
        ("$.data.feature", "f" * 57 + "...", "longer than 128 characters (129)"),
        ("$.data.value", "1.0", counts),
        ("$.data.limit", "False", counts),
    ]
    assert errs(event("usage_limit", {**data, "used": 1}))[0][:2] == ("$.data.used", "1")


def test_billing_details() -> None:
    for kind in BillingKind:
        assert ok(event("billing", {"kind": kind.value})).details == Billing(kind=kind)
    paid = ok(
        event("billing", {"kind": "payment", "amount": "5", "currency": "usd", "reference": " r "})
    )
    assert paid.details == Billing(
        kind=BillingKind.PAYMENT, amount=Money(Decimal(5), "USD"), reference="r"
    )
    assert errs(event("billing", {})) == [("$.data.kind", "None", f"must be one of {KINDS}")]
    assert errs(event("billing", {"kind": "gift", "amount": "-1", "currency": "RUB"})) == [
        ("$.data.kind", "gift", f"must be one of {KINDS}"),
        ("$.data.amount", "-1", "must not be negative"),
    ]
    assert errs(event("billing", {"kind": 1}))[0][:2] == ("$.data.kind", "1")
    assert errs(event("billing", {"kind": "refund", "currency": "RUB"})) == [
        ("$.data.amount", "None", "is required")
    ]
    assert errs(event("billing", {"kind": "refund", "reference": "r" * 129}))[0][0] == (
        "$.data.reference"
    )


def test_every_problem_of_an_event_is_reported_in_order() -> None:
    raw = {
        "id": "",
        "type": "purchase",
        "version": 9,
        "occurred_at": "x",
        "source": 1,
        "customer": {},
        "data": {"amount": "-1", "currency": "RUB", "order_id": 2},
    }
    assert errs(raw) == [
        ("$.id", "", "must not be blank"),
        ("$.version", "9", "newer than this code reads (1)"),
        ("$.occurred_at", "x", "not an ISO 8601 date-time"),
        ("$.source", "1", "must be a string, got number"),
        ("$.customer", "{}", "needs at least one of user_id, email, phone"),
        ("$.data.amount", "-1", "must not be negative"),
        ("$.data.order_id", "2", "must be a string, got number"),
    ]


# --- the JSON form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "written"),
    [
        (
            "purchase",
            {"amount": "12.50", "currency": "RUB"},
            {"amount": "12.50", "currency": "RUB"},
        ),
        (
            "purchase",
            {"amount": "1", "currency": "RUB", "order_id": "o"},
            {"amount": "1", "currency": "RUB", "order_id": "o"},
        ),
        ("email_opened", None, {}),
        (
            "email_opened",
            {"campaign_id": "c", "message_id": "m"},
            {"campaign_id": "c", "message_id": "m"},
        ),
        ("email_clicked", {"url": "u"}, {"url": "u"}),
        ("app_login", None, {}),
        ("app_login", {"device": "d"}, {"device": "d"}),
        ("review", {"text": "t"}, {"text": "t"}),
        (
            "review",
            {"text": "t", "channel": "c", "rating": 2},
            {"text": "t", "channel": "c", "rating": 2},
        ),
        ("message", {"text": "t", "channel": "c"}, {"text": "t", "channel": "c"}),
        (
            "form_answer",
            {"form_id": "f", "answers": {"a": 1}},
            {"form_id": "f", "answers": {"a": 1}},
        ),
        ("billing", {"kind": "refund"}, {"kind": "refund"}),
        (
            "usage_limit",
            {"feature": " seats ", "value": 5, "limit": 5},
            {"feature": "seats", "value": 5, "limit": 5},
        ),
        (
            "billing",
            {"kind": "payment", "amount": "5", "currency": "USD", "reference": "r"},
            {"kind": "payment", "amount": "5", "currency": "USD", "reference": "r"},
        ),
    ],
)
def test_the_json_form_of_each_type(kind: str, data: Any, written: dict[str, Any]) -> None:
    parsed = ok(event(kind, data))
    assert parsed.to_json() == {
        "id": "e-1",
        "type": kind,
        "version": 1,
        "occurred_at": AT,
        "customer": {"user_id": "u-1"},
        "data": written,
    }
    assert ok(parsed.to_json()) == parsed


def test_the_json_form_of_a_full_customer_and_a_source() -> None:
    customer = {
        "user_id": "u",
        "email": "Ann@Example.com",
        "phone": "8 900 123 45 67",
        "first_name": "Ann",
        "last_name": "Lee",
    }
    parsed = ok(event(customer=customer, source="shop"))
    written = parsed.to_json()
    assert written["customer"] == {
        "user_id": "u",
        "email": "ann@example.com",
        "phone": "+79001234567",
        "first_name": "Ann",
        "last_name": "Lee",
    }
    assert written["source"] == "shop"
    assert ok(event(customer={"email": "a@b.co"})).to_json()["customer"] == {"email": "a@b.co"}
    assert ok(event(customer={"phone": "+79001234567"})).to_json()["customer"] == {
        "phone": "+79001234567"
    }
    assert "source" not in ok(event()).to_json()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("\x00", True),
        ("\x08", True),
        ("\t", False),
        ("\n", False),
        ("\x0b", True),
        ("\x0c", True),
        ("\r", False),
        ("\x0e", True),
        ("\x1f", True),
        (" ", False),
        ("\x7f", False),
        ("\ufffd", True),
        ("\ufffc", False),
        (chr(0xD800), True),
        (chr(0xDFFF), True),
        ("\ud7ff", False),
        ("\ue000", False),
        ("plain text", False),
    ],
)
def test_control_characters(text: str, found: bool) -> None:
    assert has_control_characters("a" + text + "b") is found


def test_the_types() -> None:
    assert [t.value for t in InteractionType] == TYPES.split(", ")


def test_ids_in_details_are_at_most_128_characters_and_named_by_path() -> None:
    assert errs(event("form_answer", {"form_id": "f" * 129, "answers": {}})) == [
        ("$.data.form_id", "f" * 57 + "...", "longer than 128 characters (129)")
    ]
    assert errs(event("app_login", {"device": "d" * 201}))[0][0] == "$.data.device"


def test_any_mapping_is_an_object() -> None:
    from types import MappingProxyType

    assert ok(MappingProxyType(event())) == ok(event())


def test_times_are_kept_in_utc_whatever_the_machine_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Etc/GMT-14")  # fourteen hours east of UTC
    time.tzset()
    try:
        parsed = ok(event(occurred_at="9999-12-31T20:00:00Z"))
        assert parsed.occurred_at == datetime(9999, 12, 31, 20, tzinfo=UTC)
        assert parsed.occurred_at.utcoffset() == timedelta(0)
    finally:
        monkeypatch.undo()
        time.tzset()
