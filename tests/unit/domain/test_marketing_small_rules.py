"""Small marketing and lead rules pinned against values computed here independently: the
unsubscribe token (an HMAC written out with the standard library), its URL, a template's
missing-variable message, and a lead source's averages on and off the no-leads line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.lead_metrics import LeadSourceStats
from crmcore.domain.templates import TEMPLATE_ROOTS, MissingVariable
from crmcore.domain.unsubscribe import token_valid, unsubscribe_token, unsubscribe_url


def _reference_token(secret: bytes, address: str) -> str:
    mac = hmac.new(secret, ("unsubscribe:" + address.casefold()).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def test_the_unsubscribe_token_is_a_truncated_hmac_of_the_case_folded_address() -> None:
    assert unsubscribe_token(b"k", "Ann@X.org") == "4RLs-m__i8WnsHG478vc7Q"
    assert unsubscribe_token(b"k", "ann@x.org") == "4RLs-m__i8WnsHG478vc7Q"
    assert unsubscribe_token(b"other", "ann@x.org") != "4RLs-m__i8WnsHG478vc7Q"


@given(st.binary(min_size=1, max_size=32), st.text(min_size=1, max_size=40))
def test_the_token_matches_a_reference_and_validates_only_itself(
    secret: bytes, address: str
) -> None:
    token = unsubscribe_token(secret, address)
    assert token == _reference_token(secret, address)
    assert len(token) == 22
    assert token_valid(secret, address, token)
    assert token_valid(secret, address.upper(), token) == (
        address.upper().casefold() == address.casefold()
    )
    assert not token_valid(secret, address, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not token_valid(secret + b"x", address, token)


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://h/u", "https://h/u?e=a%2Bb@x.org&t={t}"),
        ("https://h/u?list=1", "https://h/u?list=1&e=a%2Bb@x.org&t={t}"),
    ],
)
def test_the_unsubscribe_url_carries_the_address_and_its_token(base: str, url: str) -> None:
    token = _reference_token(b"k", "a+b@x.org")
    assert unsubscribe_url(base, b"k", "a+b@x.org") == url.format(t=token)


def test_a_missing_variable_names_the_reference_and_the_detail() -> None:
    error = MissingVariable("contact.nickname")
    assert error.reference == "contact.nickname"
    assert str(error) == "contact.nickname is not defined"
    detailed = MissingVariable("facts.x", "no such fact")
    assert str(detailed) == "facts.x is not defined (no such fact)"
    assert detailed.reference == "facts.x"
    assert {"contact", "account", "facts", "unsubscribe_url"} == TEMPLATE_ROOTS


def test_a_source_without_leads_has_no_averages() -> None:
    empty = LeadSourceStats(source="web", leads=0, qualified=0, converted=0, score_total=0)
    assert empty.average_score is None
    assert empty.conversion_rate is None


@pytest.mark.parametrize(
    ("leads", "converted", "score_total", "average", "rate"),
    [
        (1, 1, 50, 50.0, 1.0),
        (3, 1, 100, 33.3, 1 / 3),
        (4, 0, 10, 2.5, 0.0),
        (3, 2, 200, 66.7, 2 / 3),
    ],
)
def test_a_source_averages_its_scores_to_one_decimal_and_its_conversions(
    leads: int, converted: int, score_total: int, average: float, rate: float
) -> None:
    stats = LeadSourceStats(
        source="web", leads=leads, qualified=leads, converted=converted, score_total=score_total
    )
    assert stats.average_score == average
    assert stats.conversion_rate == pytest.approx(rate, abs=1e-15)
