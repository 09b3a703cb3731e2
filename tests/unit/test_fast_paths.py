"""The importer's fast paths answer exactly as the libraries do, whenever they answer."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.app.importing.memo import ValueMemo
from crmcore.codec.email_fast import fast_email
from crmcore.codec.phone_fast import fast_e164
from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError
from crmcore.domain.names import PersonName, clean_name
from crmcore.domain.phone import Phone
from tests.strategies import adversarial_emails, email_like, phone_inputs


@settings(max_examples=600)
@given(case=phone_inputs())
@example(case=("8 900 123-45-67", "RU"))
@example(case=("+7 (900) 123 45 67", "RU"))
@example(case=("7 900 123 45 67", "RU"))  # the country code without "+"
@example(case=("8 10 49 30 1234567", "RU"))  # 810: Russia's international prefix
@example(case=("+ 7 900 1234567", "KZ"))  # +7 belongs to RU first, then KZ
@example(case=("+7 700 123 45 67", "RU"))  # a Kazakh mobile
@example(case=("8 (7172) 58-12-34", "KZ"))
@example(case=("+800 1234 5678", "RU"))  # non-geographic: declined
@example(case=("12", "RU"))
@example(case=("(900) 123-45-67", "RU"))
@example(case=("0049 30 123456", "SM"))
@example(case=("+1 201 555 0123", "US"))
@example(case=("1 201 555 0123", "US"))
@example(case=("011 44 20 7031 3000", "US"))
@example(case=("06 1234 5678", "IT"))  # Italian leading zero
@example(case=("0 11 15 2345 6789", "AR"))  # a national-prefix transform rule
@example(case=("(11) 96123-4567", "BR"))
@example(case=("+39 06 698 1234", "VA"))
def test_the_phone_fast_path_answers_as_phonenumbers(case: tuple[str, str]) -> None:
    text, region = case
    fast = fast_e164(text, region)
    if fast is not None:
        parsed = Phone.parse(text, region=region)
        assert isinstance(parsed, Success), (text, region, fast, parsed)
        assert parsed.unwrap().e164 == fast


@settings(max_examples=400)
@given(address=email_like | adversarial_emails())
@example(address="Ivan.Petrov+crm@Example.COM")
@example(address=" ann@example.com ")
@example(address="a@b.test")  # special-use domain: declined
@example(address="a@xn--p1ai.ru")
@example(address="a@ab--cd.com")
@example(address="a." + "b" * 63 + "@example.com")
@example(address="a@" + "b" * 63 + ".com")
@example(address="a@" + ".".join(["b" * 63] * 4) + ".com")
@example(address="postmaster@Example.com")
@example(address="user@localhost")
@example(address="user@123.com")
def test_the_email_fast_path_answers_as_email_validator(address: str) -> None:
    fast = fast_email(address)
    if fast is not None:
        parsed = Email.parse(address)
        assert isinstance(parsed, Success), (address, parsed)
        assert parsed.unwrap().value == fast


def _old_control_check(value: str) -> bool:
    return any(ord(ch) < 32 for ch in value)


@given(first=st.text(max_size=120), last=st.text(max_size=120))
@example(first="Ann\x07", last="")
@example(first="Ann\x1f", last="Lee")
@example(first=" Ann\tMarie ", last="\u00a0Lee")
def test_clean_name_is_person_name_parse(first: str, last: str) -> None:
    checked = clean_name(first, last)
    parsed = PersonName.parse(first, last)
    if isinstance(checked, FieldError):
        assert parsed == Failure(checked)
    else:
        assert parsed == Success(PersonName(*checked))
        assert not _old_control_check(checked[0] + checked[1])


def test_the_memo_checks_each_value_once_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = Phone.parse

    def counting(raw: str, *, region: str = "RU", field: str = "phone") -> object:
        calls.append(raw)
        return real(raw, region=region, field=field)

    monkeypatch.setattr(Phone, "parse", counting)
    memo = ValueMemo("RU", limit=4)
    for _ in range(3):
        assert memo.phone("12") == real("12", region="RU").failure()
    assert calls == ["12"]  # declined by the fast path once, then remembered
    for i in range(10):
        assert memo.phone(f"8 900 000 00 {i:02d}") == f"+790000000{i:02d}"
    assert len(memo) <= 4
    assert memo.email("Bob@Example.com") == "bob@example.com"
    error = memo.email("bob@", field="contact_email")
    assert isinstance(error, FieldError)
    assert error.field == "contact_email"
    again = memo.email("bob@")
    assert isinstance(again, FieldError)
    assert again.field == "email"
