"""Duplicate detection rules: the Fellegi-Sunter model, its EM estimate, blocking."""

from __future__ import annotations

import math
import random
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.duplicates import (
    NULL,
    Decision,
    FellegiSunter,
    FieldWeights,
    Thresholds,
    candidate_pairs,
    estimate,
    estimate_blocked,
    population_prior,
    starting_model,
    u_from_sample,
)
from tests.strategies import blocking_keys, comparison_vectors, fs_models, vector_counts


def _valid(model: FellegiSunter) -> None:
    assert 0.0 < model.prior < 1.0
    for field in model.fields:
        for row in (field.m, field.u):
            assert all(0.0 < p < 1.0 for p in row)
            assert math.isclose(sum(row), 1.0, abs_tol=1e-6)


@settings(max_examples=50, deadline=None)
@given(data=st.data(), model=fs_models())
def test_em_keeps_every_probability_inside_the_unit_interval(data: Any, model: Any) -> None:
    patterns = data.draw(vector_counts(model))
    fitted = estimate(patterns, model, iterations=10)
    _valid(fitted)
    _valid(estimate(patterns, model, iterations=10, fix_u=True))


@settings(max_examples=50, deadline=None)
@given(data=st.data(), model=fs_models(width=3))
def test_blocked_estimate_keeps_u_and_yields_a_valid_model(data: Any, model: Any) -> None:
    a, b = data.draw(vector_counts(model)), data.draw(vector_counts(model))
    fitted = estimate_blocked(
        [(a, frozenset({0})), (b, frozenset({1, 2}))],
        model,
        candidates={**a, **b},
        population=10**6,
        iterations=5,
    )
    _valid(fitted)
    assert [f.u for f in fitted.fields] == [f.u for f in model.fields]


@settings(max_examples=50, deadline=None)
@given(data=st.data(), model=fs_models())
def test_the_explanation_adds_up_to_the_match_weight(data: Any, model: Any) -> None:
    vector = data.draw(comparison_vectors(model))
    parts = model.explain(vector)
    prior = math.log2(model.prior / (1 - model.prior))
    assert math.isclose(
        prior + sum(p.weight for p in parts), model.match_weight(vector), abs_tol=1e-9
    )
    assert all(p.weight == 0.0 for p in parts if p.level == NULL)
    assert 0.0 <= model.probability(vector) <= 1.0
    assert math.isclose(model.scorer()(vector), model.probability(vector), abs_tol=1e-12)


def test_em_separates_planted_matches_from_chance_agreement() -> None:
    rng = random.Random(7)
    truth_m = (0.05, 0.15, 0.8)
    truth_u = (0.9, 0.08, 0.02)
    patterns: dict[tuple[int, ...], int] = {}
    labels: dict[tuple[int, ...], list[int]] = {}
    for _ in range(20_000):
        match = rng.random() < 0.1
        dist = truth_m if match else truth_u
        vector = tuple(rng.choices(range(3), weights=dist)[0] for _ in range(5))
        patterns[vector] = patterns.get(vector, 0) + 1
        labels.setdefault(vector, [0, 0])[match] += 1
    fitted = estimate(patterns, starting_model([f"f{i}" for i in range(5)], [3] * 5, prior=0.3))
    assert fitted.prior == pytest.approx(0.1, abs=0.02)
    wrong = sum(
        counts[0] if fitted.probability(v) >= 0.5 else counts[1] for v, counts in labels.items()
    )
    assert wrong / 20_000 < 0.03


def test_population_prior_is_the_share_of_expected_matches() -> None:
    # different people agree one time in a million: 100 agreeing pairs among a million
    # pairs are about 99 matches
    field = FieldWeights(name="x", m=(0.01, 0.99), u=(1 - 1e-6, 1e-6))
    model = FellegiSunter(prior=0.5, fields=(field,))
    prior = population_prior({(1,): 100, (0,): 10_000}, model, 10**6)
    assert prior == pytest.approx(99e-6, rel=0.02)


@settings(max_examples=50, deadline=None)
@given(keys=blocking_keys, cap=st.integers(2, 30))
def test_blocking_finds_exactly_the_pairs_sharing_a_key(keys: list[list[str]], cap: int) -> None:
    found = candidate_pairs(keys, max_block=cap)
    sizes = {k: sum(k in ks for ks in keys) for ks in keys for k in ks}
    expected = {
        (i, j)
        for i, j in combinations(range(len(keys)), 2)
        if any(sizes[k] <= cap for k in set(keys[i]) & set(keys[j]))
    }
    assert found == sorted(expected)


@given(review=st.floats(0, 1), merge=st.floats(0, 1), p=st.floats(0, 1), q=st.floats(0, 1))
def test_a_higher_probability_never_gets_a_weaker_decision(
    review: float, merge: float, p: float, q: float
) -> None:
    thresholds = Thresholds(review=min(review, merge), merge=max(review, merge))
    rank = {Decision.IGNORE: 0, Decision.REVIEW: 1, Decision.MERGE: 2}
    low, high = min(p, q), max(p, q)
    assert rank[thresholds.decide(low)] <= rank[thresholds.decide(high)]


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(review=0.9, merge=0.5)


def test_u_from_sample_takes_the_exact_share_for_the_top_level() -> None:
    u = u_from_sample("x", [900, 90, 10], exact_share=0.001)
    assert u[-1] == pytest.approx(0.001)
    assert sum(u) == pytest.approx(1.0)
    assert u[0] > u[1]


def test_pair_count_adds_each_blocks_pairs() -> None:
    from crmcore.domain.duplicates import pair_count

    assert pair_count({"a": [1, 2, 3], "b": [4], "c": [5, 6], "d": []}) == 4
    assert pair_count({}) == 0


def test_u_from_sample_smooths_each_level_by_a_half() -> None:
    from crmcore.domain.duplicates import u_from_sample

    assert u_from_sample("f", [3, 1]) == pytest.approx((0.7, 0.3))  # 3.5 and 1.5 of 5
    top = 0.1
    shares = u_from_sample("f", [3, 1, 0], exact_share=top)
    # 3.5 and 1.5 share what the exact top level leaves
    assert shares == pytest.approx((0.7 * (1 - top), 0.3 * (1 - top), top))


def test_thresholds_bounds_and_decisions_on_their_lines() -> None:
    from crmcore.domain.duplicates import Decision, Thresholds

    edge = Thresholds(review=0.0, merge=1.0)
    assert edge.decide(1.0) is Decision.MERGE
    t = Thresholds(review=0.5, merge=0.9)
    assert [t.decide(p) for p in (0.9, 0.8999, 0.5, 0.4999)] == [
        Decision.MERGE,
        Decision.REVIEW,
        Decision.REVIEW,
        Decision.IGNORE,
    ]
    for review, merge in ((0.5, 1.5), (0.6, 0.5), (-0.1, 0.5)):
        with pytest.raises(ValueError, match=r"^thresholds need 0 ≤ review ≤ merge ≤ 1$"):
            Thresholds(review=review, merge=merge)


def test_the_starting_model_is_geometric_by_level() -> None:
    from crmcore.domain.duplicates import starting_model

    model = starting_model(["name", "city"], [3, 2], prior=0.1)
    name, city = model.fields
    assert name.name == "name"
    assert name.m == pytest.approx((1 / 7, 2 / 7, 4 / 7))
    assert name.u == pytest.approx((16 / 21, 4 / 21, 1 / 21))
    assert city.m == pytest.approx((1 / 3, 2 / 3))
    assert city.u == pytest.approx((4 / 5, 1 / 5))
    with pytest.raises(ValueError, match="zip"):
        starting_model(["name"], [3, 2], prior=0.1)


def test_pair_count_is_a_whole_number() -> None:
    from crmcore.domain.duplicates import pair_count

    assert isinstance(pair_count({"a": [1, 2, 3]}), int)


def test_explain_names_each_field_level_and_weight_and_vectors_must_fit() -> None:
    from crmcore.domain.duplicates import Contribution, starting_model

    model = starting_model(["name", "city"], [3, 2], prior=0.1)
    name, city = model.fields
    assert model.explain((2, 0)) == (
        Contribution(field="name", level=2, weight=name.weight(2)),
        Contribution(field="city", level=0, weight=city.weight(0)),
    )
    with pytest.raises(ValueError, match="zip"):
        model.explain((2,))
    with pytest.raises(ValueError, match="zip"):
        model.match_weight((2, 0, 1))
