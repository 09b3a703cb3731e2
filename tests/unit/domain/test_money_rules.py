"""Money pinned: what parse accepts and the exact per-field error for what it refuses,
arithmetic, the currency check and the refund sign.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from returns.result import Failure, Success

from crmcore.domain.errors import FieldError
from crmcore.domain.money import CurrencyMismatch, Money


def test_parse_strips_and_upper_cases() -> None:
    assert Money.parse(" 12.50 ", " eur ") == Success(Money(Decimal("12.50"), "EUR"))
    assert Money.parse(7) == Success(Money(Decimal(7), "USD"))
    assert Money.parse(Decimal("-3.1"), "rub") == Success(Money(Decimal("-3.1"), "RUB"))


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        (
            1.5,
            "USD",
            FieldError(field="price", value="1.5", reason="use a decimal string, not a float"),
        ),
        (
            True,
            "USD",
            FieldError(field="price", value="True", reason="use a decimal string, not a float"),
        ),
        ("12,5", "USD", FieldError(field="price", value="12,5", reason="not a decimal number")),
        ("NaN", "USD", FieldError(field="price", value="NaN", reason="must be finite")),
        ("-Infinity", "USD", FieldError(field="price", value="-Infinity", reason="must be finite")),
        ("1", "ABC", FieldError(field="currency", value="ABC", reason="not an ISO-4217 code")),
        ("1", None, FieldError(field="currency", value="None", reason="not an ISO-4217 code")),
    ],
)
def test_parse_names_the_field_and_the_reason(
    amount: object, currency: object, error: FieldError
) -> None:
    assert Money.parse(amount, currency, field="price") == Failure(error)  # type: ignore[arg-type]


def test_parse_reports_the_amount_field_by_default() -> None:
    assert Money.parse("x") == Failure(
        FieldError(field="amount", value="x", reason="not a decimal number")
    )


def test_of_raises_with_the_error_text() -> None:
    with pytest.raises(ValueError, match=r"^amount: not a decimal number \(got 'x'\)$"):
        Money.of("x")
    assert Money.of("5", "gbp") == Money(Decimal(5), "GBP")


def test_arithmetic_keeps_the_currency() -> None:
    a, b = Money.of("10.25", "EUR"), Money.of("0.75", "EUR")
    assert a + b == Money(Decimal("11.00"), "EUR")
    assert a - b == Money(Decimal("9.50"), "EUR")
    assert a.times(Decimal("0.6")) == Money(Decimal("6.150"), "EUR")
    assert a.times(3) == Money(Decimal("30.75"), "EUR")
    assert Money.zero("JPY") == Money(Decimal(0), "JPY")
    assert Money.zero() == Money(Decimal(0), "USD")
    assert str(a) == "10.25 EUR"


def test_combining_currencies_is_refused_either_way() -> None:
    usd, eur = Money.of("1", "USD"), Money.of("1", "EUR")
    with pytest.raises(CurrencyMismatch, match=r"^USD and EUR cannot be combined$"):
        _ = usd + eur
    with pytest.raises(CurrencyMismatch, match=r"^EUR and USD cannot be combined$"):
        _ = eur - usd


@pytest.mark.parametrize(("amount", "negative"), [("-0.01", True), ("0", False), ("0.01", False)])
def test_a_refund_is_below_zero(amount: str, negative: bool) -> None:
    assert Money.of(amount).is_negative is negative


def test_money_validates_its_fields() -> None:
    with pytest.raises(TypeError):
        Money(1, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(Decimal(1), "XYZ")


@pytest.mark.parametrize(
    ("text", "stored"),
    [("1e3", "1000"), ("1E+3", "1000"), ("-2e2", "-200"), ("1.5e1", "15"), ("100", "100")],
)
def test_scientific_notation_is_written_out(text: str, stored: str) -> None:
    amount = Money.parse(text, "USD").unwrap().amount
    assert str(amount) == stored
    assert amount.as_tuple().exponent == 0
