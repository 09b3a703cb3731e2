"""E-mail addresses pinned: what is required, the texts a user sees for a bad address (the
value they typed, trimmed, and the field named), international addresses, no DNS lookup,
the whole address lower-cased, and the domain part.
"""

from __future__ import annotations

from typing import Any

import email_validator
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError
from tests.strategies import emails


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_a_blank_address_is_required_and_reported_as_typed(raw: str) -> None:
    assert Email.parse(raw) == Failure(FieldError(field="email", value=raw, reason="is required"))
    assert str(Email.parse(raw, field="work_email").failure()) == (
        f"work_email: is required (got {raw!r})"
    )


@pytest.mark.parametrize("raw", [None, 5, b"a@b.co"])
def test_a_value_that_is_not_text_is_required_and_shown(raw: Any) -> None:
    assert Email.parse(raw) == Failure(
        FieldError(field="email", value=str(raw), reason="is required")
    )


@pytest.mark.parametrize(
    ("raw", "shown", "reason"),
    [
        ("plain", "plain", "An email address must have an @-sign."),
        (" plain ", "plain", "An email address must have an @-sign."),
        ("a@", "a@", "There must be something after the @-sign."),
        ("@b.com", "@b.com", "There must be something before the @-sign."),
        ("a@b..com", "a@b..com", "An email address cannot have two periods in a row."),
        (
            "a@localhost",
            "a@localhost",
            "The part after the @-sign is not valid. It should have a period.",
        ),
        (
            "  a b@c.com ",
            "a b@c.com",
            "The email address contains invalid characters before the @-sign: SPACE.",
        ),
    ],
)
def test_a_bad_address_says_why_and_shows_what_was_typed(raw: str, shown: str, reason: str) -> None:
    assert Email.parse(raw) == Failure(FieldError(field="email", value=shown, reason=reason))
    assert Email.parse(raw, field="billing_email") == Failure(
        FieldError(field="billing_email", value=shown, reason=reason)
    )


def test_an_address_is_trimmed_and_lower_cased_whole() -> None:
    assert Email.parse("  Ivan.Petrov@Example.COM \n") == Success(Email("ivan.petrov@example.com"))
    assert Email.parse("ANN@X.RU").unwrap().value == "ann@x.ru"


def test_international_addresses_are_accepted() -> None:
    assert Email.parse("Иван@Example.com") == Success(Email("иван@example.com"))
    assert Email.parse("ivan@ПРИМЕР.РФ") == Success(Email("ivan@пример.рф"))


def test_international_addresses_do_not_depend_on_the_libraries_global_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # email_validator reads ALLOW_SMTPUTF8 when a caller leaves allow_smtputf8 unset: the
    # domain says it explicitly, so another component flipping the global changes nothing
    monkeypatch.setattr(email_validator, "ALLOW_SMTPUTF8", False)
    assert Email.parse("Иван@Example.com") == Success(Email("иван@example.com"))


def test_no_dns_lookup_is_made() -> None:
    # a domain that does not exist still parses: syntax only
    assert Email.parse("ann@qzxv-never-registered-7.com") == Success(
        Email("ann@qzxv-never-registered-7.com")
    )


def test_the_domain_is_the_part_after_the_last_at_sign() -> None:
    assert Email("ann@example.com").domain == "example.com"
    assert Email('"a@b"@example.com').domain == "example.com"
    assert Email("no-at-sign").domain == "no-at-sign"


def test_an_address_reads_as_its_value() -> None:
    assert str(Email("ann@example.com")) == "ann@example.com"
    assert f"{Email.parse('Ann@X.io').unwrap()}" == "ann@x.io"


@given(emails(), st.sampled_from(["email", "work_email", "e"]))
def test_a_valid_address_parses_under_any_field(raw: str, field: str) -> None:
    got = Email.parse(f" {raw.upper()} ", field=field)
    assert got == Success(Email(raw.lower()))
    assert str(got.unwrap()) == raw.lower()
    assert got.unwrap().domain == raw.lower().rpartition("@")[2]
