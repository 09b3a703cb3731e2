"""Phone numbers pinned: blank and non-text input, each parse failure's text (the value typed,
trimmed, and the field named), the region (default Russia, any case) and its name in the
message, E.164 output.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.errors import FieldError
from crmcore.domain.phone import DEFAULT_REGION, Phone, _parse_reason
from tests.strategies import ru_mobiles


@pytest.mark.parametrize("raw", ["", "  ", "\t\n"])
def test_a_blank_number_is_empty_and_reported_as_typed(raw: str) -> None:
    assert Phone.parse(raw) == Failure(FieldError(field="phone", value=raw, reason="is empty"))
    assert str(Phone.parse(raw, field="mobile").failure()) == f"mobile: is empty (got {raw!r})"


@pytest.mark.parametrize("raw", [None, 79001234567, b"+79001234567"])
def test_a_value_that_is_not_text_is_empty_and_shown(raw: Any) -> None:
    assert Phone.parse(raw) == Failure(FieldError(field="phone", value=str(raw), reason="is empty"))


@pytest.mark.parametrize(
    ("raw", "region", "shown", "reason"),
    [
        ("abc", "RU", "abc", "not a phone number"),
        (" +7 ", "RU", "+7", "not a phone number"),
        ("+999 123456", "RU", "+999 123456", "unknown country code"),
        ("9001234567", "ZZ", "9001234567", "unknown country code"),
        ("+49 1", "RU", "+49 1", "too short"),
        ("  8101 ", "RU", "8101", "too short"),
        ("011 1", "US", "011 1", "too short"),
        ("+7" + "1" * 20, "RU", "+7" + "1" * 20, "too long"),
    ],
)
def test_a_number_that_does_not_parse_says_why(
    raw: str, region: str, shown: str, reason: str
) -> None:
    assert Phone.parse(raw, region=region) == Failure(
        FieldError(field="phone", value=shown, reason=reason)
    )
    assert Phone.parse(raw, region=region, field="mobile") == Failure(
        FieldError(field="mobile", value=shown, reason=reason)
    )


@pytest.mark.parametrize(
    ("raw", "region", "shown"),
    [
        ("12", "RU", "12"),
        (" 8 (000) 000-00-00 ", "RU", "8 (000) 000-00-00"),
        ("+7 900", "RU", "+7 900"),
        ("8 (900) 123-45-67", "US", "8 (900) 123-45-67"),
        ("8 (900) 123-45-67", "us", "8 (900) 123-45-67"),
    ],
)
def test_a_number_that_parses_but_is_not_valid_names_the_region_as_given(
    raw: str, region: str, shown: str
) -> None:
    assert Phone.parse(raw, region=region, field="fax") == Failure(
        FieldError(field="fax", value=shown, reason=f"not a valid number for {region}")
    )
    assert str(Phone.parse(raw, region=region).failure()) == (
        f"phone: not a valid number for {region} (got {shown!r})"
    )


def test_the_default_region_is_russia() -> None:
    assert DEFAULT_REGION == "RU"
    assert Phone.parse("8 (900) 123-45-67") == Success(Phone("+79001234567"))
    assert Phone.parse("12") == Failure(
        FieldError(field="phone", value="12", reason="not a valid number for RU")
    )


@pytest.mark.parametrize("region", ["RU", "ru", "Ru"])
def test_the_region_is_read_in_any_case(region: str) -> None:
    assert Phone.parse("  9001234567 ", region=region) == Success(Phone("+79001234567"))


def test_numbers_with_a_country_code_ignore_the_region() -> None:
    assert Phone.parse("+44 20 7946 0958") == Success(Phone("+442079460958"))
    assert Phone.parse("2025550123", region="us") == Success(Phone("+12025550123"))
    assert Phone.parse("+1 202-555-0123", region="RU") == Success(Phone("+12025550123"))


def test_a_number_reads_as_its_e164_form() -> None:
    assert str(Phone("+79001234567")) == "+79001234567"
    assert f"{Phone.parse('8 900 123 45 67').unwrap()}" == "+79001234567"


def test_each_parse_error_of_the_library_has_its_text() -> None:
    error = phonenumbers.NumberParseException
    assert _parse_reason(error(error.INVALID_COUNTRY_CODE, "x")) == "unknown country code"
    assert _parse_reason(error(error.NOT_A_NUMBER, "x")) == "not a phone number"
    assert _parse_reason(error(error.TOO_SHORT_NSN, "x")) == "too short"
    assert _parse_reason(error(error.TOO_SHORT_AFTER_IDD, "x")) == "too short"
    assert _parse_reason(error(error.TOO_LONG, "x")) == "too long"
    # an error type a later phonenumbers may add reads as the general text
    assert _parse_reason(error(99, "x")) == "not a phone number"


@given(ru_mobiles(), st.sampled_from(["phone", "mobile"]))
def test_a_russian_mobile_in_any_written_form_is_e164(sample: tuple[str, str], field: str) -> None:
    local, e164 = sample
    got = Phone.parse(f" {local} ", field=field)
    assert got == Success(Phone(e164))
    assert str(got.unwrap()) == e164
