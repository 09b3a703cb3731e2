"""The A/B split and the winner rule."""

from __future__ import annotations

import math
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.abtest import HELD, AbRule, assign, two_proportion_p, winner

N = 4_000


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    arms=st.integers(2, 4),
    share=st.sampled_from([0.2, 0.5, 1.0]),
)
def test_the_split_is_even_within_tolerance_and_stable(seed: int, arms: int, share: float) -> None:
    campaign = UUID(int=seed)
    names = [chr(ord("A") + i) for i in range(arms)]
    got = [assign(campaign, UUID(int=seed * 7919 + i + 1), names, test_share=share)
           for i in range(N)]  # fmt: skip
    expected = N * share / arms
    # 5 standard deviations of a binomial count: fails by chance far less than once in
    # a million runs
    tolerance = 5 * math.sqrt(N * (share / arms) * (1 - share / arms))
    for name in names:
        assert abs(got.count(name) - expected) <= tolerance
    held = got.count(HELD)
    assert abs(held - N * (1 - share)) <= 5 * math.sqrt(N * share * (1 - share)) + 1e-9
    again = [assign(campaign, UUID(int=seed * 7919 + i + 1), names, test_share=share)
             for i in range(50)]  # fmt: skip
    assert again == got[:50]


def test_one_variant_goes_to_everyone() -> None:
    assert {assign(UUID(int=1), UUID(int=i), ["A"], test_share=0.1) for i in range(100)} == {"A"}


def test_the_p_value_matches_a_known_case() -> None:
    # 200/1000 vs 150/1000: pooled p = 0.175, z = 0.05 / sqrt(0.175 * 0.825 * 0.002) = 2.94,
    # two-sided p = 2 * (1 - Phi(2.94)) = 0.0033
    assert abs(two_proportion_p(200, 1000, 150, 1000) - 0.0033) < 0.0001
    assert two_proportion_p(0, 0, 1, 10) == 1.0


@settings(max_examples=50)
@given(
    sent=st.lists(st.integers(0, 3000), min_size=2, max_size=3),
    rates=st.lists(st.floats(0, 1), min_size=3, max_size=3),
    min_sample=st.integers(1, 500),
)
def test_a_winner_has_enough_samples_the_best_rate_and_significance(
    sent: list[int], rates: list[float], min_sample: int
) -> None:
    arms = {chr(65 + i): (s, round(s * rates[i])) for i, s in enumerate(sent)}
    rule = AbRule(min_sample=min_sample)
    won = winner(arms, rule)
    if won is None:
        return
    assert all(s >= min_sample for s, _ in arms.values())
    s_w, k_w = arms[won]
    for name, (s, k) in arms.items():
        if name != won:
            assert k / s < k_w / s_w
            assert two_proportion_p(k_w, s_w, k, s) < rule.level


def test_too_few_samples_decide_nothing() -> None:
    assert winner({"A": (99, 90), "B": (100, 1)}, AbRule(min_sample=100)) is None
    assert winner({"A": (100, 90), "B": (100, 1)}, AbRule(min_sample=100)) == "A"
    assert winner({"A": (100, 11), "B": (100, 10)}, AbRule(min_sample=100)) is None
