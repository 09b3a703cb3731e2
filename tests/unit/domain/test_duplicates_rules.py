"""Fellegi-Sunter helpers pinned by hand: probabilities from log2-odds on and past the
±60 cut, masked patterns, the bounds of m and u with their message, the population prior
of an empty population, and normalisation."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from crmcore.domain.duplicates import (
    NULL,
    FieldWeights,
    _normalised,
    masked,
    population_prior,
    probability_of,
    starting_model,
)


@pytest.mark.parametrize(
    ("weight", "p"),
    [
        (0.0, 0.5),
        (1.0, 2 / 3),
        (-1.0, 1 / 3),
        (2.0, 0.8),
        (61.0, 1.0),
        (60.5, 1.0),
        (-60.5, 0.0),
        (-61.0, 0.0),
    ],
)
def test_probability_of_log2_odds(weight: float, p: float) -> None:
    assert probability_of(weight) == pytest.approx(p, abs=1e-15)


def test_probability_just_inside_the_cut_is_computed() -> None:
    assert probability_of(-60.0) == pytest.approx(2.0**-60 / (1 + 2.0**-60), rel=1e-12)
    assert probability_of(-60.0) > 0.0


def test_masked_patterns_null_the_skipped_fields_and_merge_counts() -> None:
    patterns: dict[tuple[int, ...], int] = {(2, 1, 0): 3, (2, 0, 0): 4, (1, 1, 0): 5}
    assert masked(patterns, frozenset({1})) == {(2, NULL, 0): 7, (1, NULL, 0): 5}
    assert masked(patterns, frozenset()) == patterns


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_m_and_u_lie_strictly_inside_0_and_1(bad: float) -> None:
    with pytest.raises(ValueError, match=r"^m probabilities must lie strictly inside \(0, 1\)$"):
        FieldWeights(name="f", m=(0.5, bad), u=(0.5, 0.5))
    with pytest.raises(ValueError, match=r"^u probabilities must lie strictly inside \(0, 1\)$"):
        FieldWeights(name="f", m=(0.5, 0.5), u=(bad, 0.5))


def test_an_empty_population_keeps_the_model_prior() -> None:
    model = starting_model(["f"], [2], prior=0.25)
    assert population_prior({(1,): 10}, model, 0) == 0.25
    assert population_prior({(1,): 10}, model, -5) == 0.25


def test_normalised_rows_and_their_fallback() -> None:
    assert _normalised([0.25, 0.25], (0.9, 0.1)) == pytest.approx((0.5, 0.5))
    assert _normalised([0.0, 0.0], (0.9, 0.1)) == (0.9, 0.1)


def test_probabilities_past_the_cut_are_exactly_0_and_1() -> None:
    assert probability_of(-60.5) == 0.0
    assert probability_of(60.5) == 1.0


def test_the_prior_is_clamped_below_1() -> None:
    from crmcore.domain.duplicates import EPSILON, _clamp_prior

    assert _clamp_prior(1.0) == 1.0 - EPSILON
    assert _clamp_prior(1.5) == 1.0 - EPSILON


@pytest.mark.parametrize("prior", [1.0, 1.5])
def test_a_model_prior_lies_below_1(prior: float) -> None:
    from crmcore.domain.duplicates import FellegiSunter

    field = FieldWeights(name="f", m=(0.5, 0.5), u=(0.5, 0.5))
    with pytest.raises(ValueError, match=r"^prior must lie strictly inside \(0, 1\)$"):
        FellegiSunter(prior=prior, fields=(field,))


def test_m_and_u_need_the_same_number_of_levels() -> None:
    with pytest.raises(ValueError, match=r"^f: m and u need the same number \(≥ 2\) of levels$"):
        FieldWeights(name="f", m=(0.5, 0.5), u=(0.3, 0.3, 0.4))


def test_a_scorer_refuses_a_vector_of_another_length() -> None:
    score = starting_model(["a", "b"], [2, 2], prior=0.1).scorer()
    assert 0.0 < score((1, 0)) < 1.0
    with pytest.raises(ValueError, match="zip"):
        score((1,))


def test_one_em_step_worked_by_hand() -> None:
    from crmcore.domain.duplicates import estimate

    start = starting_model(["f"], [2], prior=0.5)  # m = (1/3, 2/3), u = (4/5, 1/5)
    patterns: dict[tuple[int, ...], int] = {(1,): 3, (0,): 1, (NULL,): 2}
    # P(match): level 1 odds (2/3)/(1/5) = 10/3 → 10/13; level 0 odds 5/12 → 5/17; NULL 1/2
    m1, m0 = 3 * 10 / 13, 1 * 5 / 17
    u1, u0 = 3 * 3 / 13, 1 * 12 / 17
    step = estimate(patterns, start, iterations=1)
    assert step.prior == pytest.approx((m1 + m0 + 2 * 0.5) / 6)
    (field,) = step.fields
    assert field.name == "f"
    assert field.m == pytest.approx((m0 / (m0 + m1), m1 / (m0 + m1)))
    assert field.u == pytest.approx((u0 / (u0 + u1), u1 / (u0 + u1)))
    kept_u = estimate(patterns, start, iterations=1, fix_u=True)
    assert kept_u.fields[0].u == start.fields[0].u
    assert kept_u.fields[0].m == field.m


def test_em_defaults_and_an_empty_table() -> None:
    from crmcore.domain.duplicates import estimate

    start = starting_model(["f", "g"], [2, 3], prior=0.2)
    patterns: dict[tuple[int, ...], int] = {(1, 2): 5, (0, 0): 40, (0, 1): 9, (1, NULL): 3}
    explicit = estimate(patterns, start, iterations=50, tolerance=1e-5, fix_u=False)
    assert estimate(patterns, start) == explicit
    assert explicit != estimate(patterns, start, iterations=1)
    assert estimate({}, start) is start


def test_one_population_prior_step_worked_by_hand() -> None:
    model = starting_model(["f"], [2], prior=0.5)  # level 1: odds 10/3 at even prior
    candidates: dict[tuple[int, ...], int] = {(1,): 30}
    first = 30 * 0.1 / 1000  # the start: a tenth of the candidates match
    odds = first / (1 - first) * 10 / 3
    expected = 30 * odds / (1 + odds) / 1000
    assert population_prior(candidates, model, 1000, iterations=1) == pytest.approx(expected)
    one = population_prior(candidates, model, 1, iterations=1)
    assert one != model.prior


def test_blocked_estimation_learns_each_field_from_the_rules_that_did_not_block_on_it() -> None:
    import statistics

    from crmcore.domain.duplicates import FellegiSunter, estimate, estimate_blocked

    start = starting_model(["f", "g"], [2, 2], prior=0.1)
    by_f: dict[tuple[int, ...], int] = {(1, 1): 8, (1, 0): 20}  # blocked on f
    by_g: dict[tuple[int, ...], int] = {(1, 1): 6, (0, 1): 30}  # blocked on g
    by_g2: dict[tuple[int, ...], int] = {(1, 1): 9, (0, 1): 10}  # blocked on g too
    none: dict[tuple[int, ...], int] = {}
    every: dict[tuple[int, ...], int] = {(1, 1): 5}
    rules: list[tuple[Mapping[tuple[int, ...], int], frozenset[int]]] = [
        (none, frozenset()),  # no pairs: teaches nothing
        (by_f, frozenset({0})),
        (by_g, frozenset({1})),
        (by_g2, frozenset({1})),
        (every, frozenset({0, 1})),  # blocked on every field: teaches nothing
    ]
    candidates: dict[tuple[int, ...], int] = {(1, 1): 10, (0, 0): 50}
    got = estimate_blocked(rules, start, candidates=candidates, population=10_000, iterations=3)

    def m_of(
        patterns: dict[tuple[int, ...], int], skip: frozenset[int], i: int
    ) -> tuple[float, ...]:
        return estimate(masked(patterns, skip), start, iterations=3, fix_u=True).fields[i].m

    f_m = m_of(by_g, frozenset({1}), 0), m_of(by_g2, frozenset({1}), 0)
    f_median = [statistics.median(level) for level in zip(*f_m, strict=True)]
    g_m = m_of(by_f, frozenset({0}), 1)
    f, g = got.fields
    assert (f.name, g.name) == ("f", "g")
    assert f.m == pytest.approx(tuple(v / sum(f_median) for v in f_median))
    assert g.m == pytest.approx(g_m)
    assert (f.u, g.u) == (start.fields[0].u, start.fields[1].u)
    learnt = FellegiSunter(prior=start.prior, fields=(f, g))
    assert got.prior == pytest.approx(population_prior(candidates, learnt, 10_000, iterations=3))


def test_em_stops_when_the_fit_stops_moving() -> None:
    from crmcore.domain.duplicates import estimate

    start = starting_model(["f", "g"], [2, 3], prior=0.2)
    patterns: dict[tuple[int, ...], int] = {(1, 2): 5, (0, 0): 40, (0, 1): 9, (1, NULL): 3}
    fitted = estimate(patterns, start)
    assert fitted == estimate(patterns, start, iterations=11)  # converged at the 11th
    assert fitted != estimate(patterns, start, iterations=10)
    assert fitted != estimate(patterns, start, tolerance=0.0)  # never converged: 50 steps


def test_the_population_prior_stops_at_its_fixed_point() -> None:
    model = starting_model(["f"], [2], prior=0.5)
    candidates: dict[tuple[int, ...], int] = {(1,): 30, (0,): 500}
    prior = population_prior(candidates, model, 1000)
    assert prior == population_prior(candidates, model, 1000, iterations=16)
    assert prior != population_prior(candidates, model, 1000, iterations=15)


def test_a_field_no_rule_teaches_keeps_its_start() -> None:
    from crmcore.domain.duplicates import estimate_blocked

    start = starting_model(["f", "g"], [2, 2], prior=0.1)
    patterns: dict[tuple[int, ...], int] = {(1, 1): 8, (1, 0): 20}
    rules: list[tuple[Mapping[tuple[int, ...], int], frozenset[int]]] = [(patterns, frozenset({0}))]
    got = estimate_blocked(rules, start, candidates=patterns, population=1000)
    assert got.fields[0].m == start.fields[0].m  # blocked on f: f learns nothing
    assert got.fields[1].m != start.fields[1].m
