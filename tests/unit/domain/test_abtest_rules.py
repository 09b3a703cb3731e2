"""A/B rules pinned: the bucket as a BLAKE2b written out here, the split's edges, the
p-value on its undefined cases and a worked example, and the winner rule's lines."""

from __future__ import annotations

import hashlib
import math
from uuid import UUID

import pytest

from crmcore.domain.abtest import HELD, AbRule, assign, bucket, two_proportion_p, winner

CAMPAIGN = UUID(int=7)


def _bucket(contact: UUID) -> float:
    digest = hashlib.blake2b(CAMPAIGN.bytes + contact.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def test_the_bucket_is_a_64_bit_blake2b_of_campaign_and_contact() -> None:
    for n in range(50):
        contact = UUID(int=n)
        assert bucket(CAMPAIGN, contact) == _bucket(contact)
        assert 0.0 <= bucket(CAMPAIGN, contact) < 1.0


def test_the_test_share_is_split_evenly_by_bucket_and_the_rest_held() -> None:
    variants = ["A", "B", "C"]
    for n in range(300):
        contact = UUID(int=n)
        b = _bucket(contact)
        expected = HELD if b >= 0.5 else variants[int(b / 0.5 * 3)]
        assert assign(CAMPAIGN, contact, variants, test_share=0.5) == expected
        assert assign(CAMPAIGN, contact, variants) == variants[int(b * 3)]
    assert HELD == "*"


def test_a_single_variant_is_never_held() -> None:
    assert assign(CAMPAIGN, UUID(int=1), ["only"], test_share=0.0) == "only"


def test_p_value_worked_example_and_undefined_cases() -> None:
    # 30/100 against 10/100: pooled 0.2, var 0.2·0.8·0.02 = 0.0032, z = 0.2 / √0.0032
    z = 0.2 / math.sqrt(0.0032)
    assert two_proportion_p(30, 100, 10, 100) == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert two_proportion_p(10, 100, 30, 100) == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert two_proportion_p(0, 0, 1, 10) == 1.0
    assert two_proportion_p(1, 10, 0, 0) == 1.0
    assert two_proportion_p(0, 10, 0, 10) == 1.0  # nobody acted: no variance
    assert two_proportion_p(10, 10, 20, 20) == 1.0  # everybody acted
    assert two_proportion_p(5, 10, 5, 10) == 1.0  # z = 0


def test_the_winner_rule() -> None:
    rule = AbRule(min_sample=100, level=0.05)
    assert winner({"A": (100, 30)}, rule) is None  # one arm
    assert winner({"A": (100, 30), "B": (100, 10)}, rule) == "A"
    assert winner({"A": (100, 10), "B": (100, 30)}, rule) == "B"
    assert winner({"A": (100, 30), "B": (99, 10)}, rule) is None  # B too small
    assert winner({"A": (100, 30), "B": (100, 30)}, rule) is None  # a tie
    assert winner({"A": (100, 30), "B": (100, 10), "C": (100, 29)}, rule) is None
    assert winner({"A": (100, 30), "B": (100, 10), "C": (100, 5)}, rule) == "A"
    p = two_proportion_p(30, 100, 10, 100)
    assert winner({"A": (100, 30), "B": (100, 10)}, AbRule(min_sample=100, level=p)) is None
    just_above = AbRule(min_sample=100, level=p * 1.0001)
    assert winner({"A": (100, 30), "B": (100, 10)}, just_above) == "A"


def test_the_best_arm_is_the_best_rate_not_the_most_actions() -> None:
    rule = AbRule(min_sample=100, level=0.05)
    assert winner({"A": (100, 30), "B": (400, 40)}, rule) == "A"


def test_a_tie_never_wins_whatever_the_level() -> None:
    assert winner({"A": (100, 30), "B": (100, 30)}, AbRule(min_sample=1, level=1.5)) is None


def test_a_p_value_with_a_single_delivery_is_computed() -> None:
    # 9/10 against 0/1: pooled 9/11, var (9/11)(2/11)(1/10 + 1) , z = 0.9 / √var
    var = (9 / 11) * (2 / 11) * (1 / 10 + 1)
    expected = math.erfc(0.9 / math.sqrt(var) / math.sqrt(2))
    assert two_proportion_p(9, 10, 0, 1) == pytest.approx(expected)
    assert two_proportion_p(0, 1, 9, 10) == pytest.approx(expected)


def test_a_bucket_on_the_test_share_is_held() -> None:
    contact = UUID(int=3)
    share = _bucket(contact)
    assert assign(CAMPAIGN, contact, ["A", "B"], test_share=share) == HELD
