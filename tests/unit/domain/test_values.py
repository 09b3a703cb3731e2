"""Value objects: normalisation is idempotent, bad input is a Failure naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError
from crmcore.domain.money import CurrencyMismatch, Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from tests.strategies import amounts, currencies, emails, names, ru_mobiles


def test_phone_from_the_source_example() -> None:
    assert Phone.parse("8 (900) 123-45-67", region="RU") == Success(Phone("+79001234567"))


@given(ru_mobiles())
def test_phone_written_forms_normalise_to_e164(sample: tuple[str, str]) -> None:
    local, e164 = sample
    assert Phone.parse(local, region="RU") == Success(Phone(e164))


@given(ru_mobiles())
def test_phone_normalisation_is_idempotent(sample: tuple[str, str]) -> None:
    once = Phone.parse(sample[0]).unwrap()
    assert Phone.parse(once.e164, region="US").unwrap() == once


@given(st.text(max_size=25))
def test_phone_never_raises_and_failures_name_the_field(raw: str) -> None:
    result = Phone.parse(raw, field="mobile")
    if isinstance(result, Failure):
        assert result.failure().field == "mobile"
    else:
        assert result.unwrap().e164.startswith("+")


@pytest.mark.parametrize("raw", ["12", "abc", "", "   ", "+7 900", "8 (000) 000-00-00"])
def test_phone_rejects_garbage(raw: str) -> None:
    assert isinstance(Phone.parse(raw), Failure)


@given(emails())
def test_email_is_lower_cased_and_idempotent(raw: str) -> None:
    parsed = Email.parse(raw.upper()).unwrap()
    assert parsed.value == raw.lower()
    assert parsed.domain == raw.rpartition("@")[2].lower()
    assert Email.parse(parsed.value).unwrap() == parsed


@given(st.text(max_size=40))
def test_email_never_raises(raw: str) -> None:
    result = Email.parse(raw)
    if isinstance(result, Failure):
        error = result.failure()
        assert isinstance(error, FieldError)
        assert error.field == "email"
    else:
        assert "@" in result.unwrap().value


@pytest.mark.parametrize("raw", ["", "plain", "a@", "@b.com", "a b@c.com", "a@b..com"])
def test_email_rejects_bad_syntax(raw: str) -> None:
    assert isinstance(Email.parse(raw), Failure)


@given(amounts, currencies)
def test_money_parses_its_own_string(amount: Decimal, currency: str) -> None:
    money = Money.parse(str(amount), currency).unwrap()
    assert money.amount == amount
    assert Money.parse(str(money.amount), money.currency).unwrap() == money


@given(st.floats(allow_nan=True))
def test_money_refuses_floats(value: float) -> None:
    result = Money.parse(value)  # type: ignore[arg-type]
    assert isinstance(result, Failure)
    assert result.failure().field == "amount"


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [("1.5", "XXY", "currency"), ("NaN", "USD", "amount"), ("ten", "USD", "amount")],
)
def test_money_reports_the_bad_field(amount: str, currency: str, field: str) -> None:
    result = Money.parse(amount, currency)
    assert isinstance(result, Failure)
    assert result.failure().field == field


@given(amounts, amounts)
def test_money_addition_is_exact(a: Decimal, b: Decimal) -> None:
    assert (Money.of(a, "RUB") + Money.of(b, "RUB")).amount == a + b


def test_money_refuses_mixed_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "USD") + Money.of("1", "EUR")


@given(names, names)
def test_names_are_trimmed_and_idempotent(first: str, last: str) -> None:
    result = PersonName.parse(first, last)
    if isinstance(result, Failure):
        assert result.failure().field in {"first_name", "last_name"}
        return
    name = result.unwrap()
    assert name.first == name.first.strip()
    assert "  " not in name.full
    assert PersonName.parse(name.first, name.last).unwrap() == name


def test_name_needs_one_part() -> None:
    assert isinstance(PersonName.parse("  ", ""), Failure)
    assert PersonName.parse("  Анна   Мария ", "").unwrap().first == "Анна Мария"
