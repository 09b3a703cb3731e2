"""Attribution (C11): a Markov example solved on paper, the rule models by hand, and the
properties every model keeps; the NumPy engine agrees with the plain-Python definition."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.analytics.attribution_numpy import NumpyAttribution
from crmcore.domain.attribution import (
    Credit,
    Model,
    PathRow,
    attribute,
    format_path,
    parse_path,
    totals,
    touch_weights,
)
from tests.strategies import attribution_paths

Engine = Callable[[Sequence[PathRow], Model], list[Credit]]
ENGINES: dict[str, Engine] = {
    "reference": lambda paths, model: attribute(paths, model),
    "numpy": lambda paths, model: NumpyAttribution().attribute(paths, model),
}

# Three channels, four paths.
PAPER = [
    PathRow(channels=("a", "b"), conversions=2, value=200, nulls=0),
    PathRow(channels=("a", "c"), conversions=1, value=30, nulls=1),
    PathRow(channels=("b",), conversions=1, value=100, nulls=1),
    PathRow(channels=("c",), conversions=0, value=0, nulls=2),
]


def by_channel(credits: Sequence[Credit]) -> dict[str, Credit]:
    return {c.channel: c for c in credits}


@pytest.mark.parametrize("engine", ENGINES.values(), ids=ENGINES.keys())
def test_markov_removal_effects_match_the_paper_solution(engine: Engine) -> None:
    # Journeys per path (conversions + nulls): 2, 2, 2, 2. Transition weights:
    #   start→a 2+2=4, start→b 2, start→c 2           (out of start: 8)
    #   a→b 2, a→c 2                                   (out of a: 4)
    #   b→conv 2+1=3, b→null 1                         (out of b: 4)
    #   c→conv 1, c→null 1+2=3                         (out of c: 4)
    # P(conversion) from each state, x = Q x + b:
    #   x_b = 3/4, x_c = 1/4, x_a = 1/2·3/4 + 1/2·1/4 = 1/2
    #   x_start = 4/8·1/2 + 2/8·3/4 + 2/8·1/4 = 1/4 + 3/16 + 1/16 = 1/2
    # Removing a channel sends every transition into it to null.
    # Without a: x_start = 2/8·3/4 + 2/8·1/4 = 1/4 → RE_a = 1 - (1/4)/(1/2) = 1/2
    # Without b: x_a = 1/2·1/4 = 1/8; x_start = 4/8·1/8 + 2/8·1/4 = 1/8
    #   → RE_b = 1 - (1/8)/(1/2) = 3/4
    # Without c: x_a = 1/2·3/4 = 3/8; x_start = 4/8·3/8 + 2/8·3/4 = 3/8
    #   → RE_c = 1 - (3/8)/(1/2) = 1/4
    # Σ RE = 3/2; 4 conversions → a 4·(1/2)/(3/2) = 4/3, b 4·(3/4)/(3/2) = 2, c 4·(1/4)/(3/2) = 2/3.
    # Value: the conversion step from b carries (200 + 100)/4 = 75, from c 30/4 = 7.5:
    #   v_a = 1/2·75 + 1/2·7.5 = 41.25; v_start = 4/8·41.25 + 2/8·75 + 2/8·7.5 = 41.25
    #   without a: 2/8·75 + 2/8·7.5 = 20.625            → RE 1/2
    #   without b: v_a = 3.75; 4/8·3.75 + 2/8·7.5 = 3.75  → RE 1 - 3.75/41.25 = 10/11
    #   without c: v_a = 37.5; 4/8·37.5 + 2/8·75 = 37.5   → RE 1 - 37.5/41.25 = 1/11
    # Σ = 3/2; value 330 → a 330·(1/2)/(3/2) = 110, b 330·(10/11)/(3/2) = 200, c 20.
    credits = by_channel(engine(PAPER, Model.MARKOV))
    assert credits["a"].removal_effect == pytest.approx(1 / 2)
    assert credits["b"].removal_effect == pytest.approx(3 / 4)
    assert credits["c"].removal_effect == pytest.approx(1 / 4)
    assert credits["a"].conversions == pytest.approx(4 / 3)
    assert credits["b"].conversions == pytest.approx(2)
    assert credits["c"].conversions == pytest.approx(2 / 3)
    assert credits["a"].value == pytest.approx(110)
    assert credits["b"].value == pytest.approx(200)
    assert credits["c"].value == pytest.approx(20)


@pytest.mark.parametrize("engine", ENGINES.values(), ids=ENGINES.keys())
def test_rule_models_on_the_paper_example(engine: Engine) -> None:
    # first: a takes paths 1 and 2 (2 + 1), b path 3 (1), c path 4 (0 conversions)
    first = by_channel(engine(PAPER, Model.FIRST))
    assert (first["a"].conversions, first["b"].conversions, first["c"].conversions) == (3, 1, 0)
    assert (first["a"].value, first["b"].value, first["c"].value) == (230, 100, 0)
    # last: b takes paths 1 and 3 (2 + 1), c path 2 (1)
    last = by_channel(engine(PAPER, Model.LAST))
    assert (last["a"].conversions, last["b"].conversions, last["c"].conversions) == (0, 3, 1)
    # linear: a 2/2 + 1/2 = 1.5, b 2/2 + 1 = 2, c 1/2 = 0.5
    linear = by_channel(engine(PAPER, Model.LINEAR))
    assert linear["a"].conversions == pytest.approx(1.5)
    assert linear["b"].conversions == pytest.approx(2)
    assert linear["c"].conversions == pytest.approx(0.5)
    # time-decay, half-life one touch: weights 1/3, 2/3 on two touches
    decay = by_channel(engine(PAPER, Model.TIME_DECAY))
    assert decay["a"].conversions == pytest.approx(2 / 3 + 1 / 3)
    assert decay["b"].conversions == pytest.approx(4 / 3 + 1)


def test_touch_weights_by_hand() -> None:
    assert touch_weights(Model.POSITION, 1) == [1.0]
    assert touch_weights(Model.POSITION, 2) == [0.5, 0.5]
    assert touch_weights(Model.POSITION, 4) == pytest.approx([0.4, 0.1, 0.1, 0.4])
    assert touch_weights(Model.TIME_DECAY, 3, half_life=1) == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    assert touch_weights(Model.FIRST, 3) == [1.0, 0.0, 0.0]


def test_paths_parse_like_channel_attribution() -> None:
    assert parse_path("a > b >c") == ("a", "b", "c")
    assert parse_path("a > > c") is None
    assert parse_path(format_path(("x", "y"))) == ("x", "y")


MODELS = st.sampled_from(list(Model))


@settings(max_examples=50, deadline=None)
@given(paths=attribution_paths(), model=MODELS, engine=st.sampled_from(list(ENGINES)))
def test_credits_sum_to_the_conversions_and_the_value(
    paths: list[PathRow], model: Model, engine: str
) -> None:
    credits = ENGINES[engine](paths, model)
    conversions, value = totals(paths)
    assert sum(c.conversions for c in credits) == pytest.approx(conversions, abs=1e-6)
    assert sum(c.value for c in credits) == pytest.approx(value, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(paths=attribution_paths(), model=MODELS, engine=st.sampled_from(list(ENGINES)))
def test_a_channel_that_only_ends_lost_journeys_gets_nothing(
    paths: list[PathRow], model: Model, engine: str
) -> None:
    # "z" is in no converting path; it only ever ends journeys that did not convert, so in
    # the Markov chain nothing reachable from it converts either.
    lost = [PathRow(channels=(*p.channels, "z"), conversions=0, nulls=3) for p in paths]
    credits = by_channel(ENGINES[engine]([*paths, *lost], model))
    assert credits["z"].conversions == 0
    assert credits["z"].value == 0
    if model is Model.MARKOV:
        assert credits["z"].removal_effect == 0


@settings(max_examples=50, deadline=None)
@given(
    paths=attribution_paths(),
    model=st.sampled_from([m for m in Model if m is not Model.MARKOV]),
)
def test_rule_models_give_nothing_to_a_channel_absent_from_converting_paths(
    paths: list[PathRow], model: Model
) -> None:
    lost = [PathRow(channels=("z", *p.channels), conversions=0, nulls=1) for p in paths]
    assert by_channel(attribute([*paths, *lost], model))["z"].conversions == 0


def test_markov_credits_a_lost_channel_that_leads_into_a_converting_one() -> None:
    # A first-order chain forgets where a journey came from: z → a is seen once (lost), a
    # converts half the time, so removing z lowers P(conversion) and z earns credit even
    # though no converting path contains it. The rule models give it nothing.
    paths = [
        PathRow(channels=("z", "a"), conversions=0, nulls=1),
        PathRow(channels=("a",), conversions=1, nulls=0),
    ]
    # x_a = 1/2; x_start = 1/2·x_z + 1/2·x_a = 1/2 with x_z = x_a; without z: 1/4 → RE 1/2
    credits = by_channel(attribute(paths, Model.MARKOV))
    assert credits["z"].removal_effect == pytest.approx(1 / 2)
    assert credits["z"].conversions == pytest.approx(1 / 3)


@settings(max_examples=50, deadline=None)
@given(
    paths=attribution_paths(),
    model=MODELS,
    engine=st.sampled_from(list(ENGINES)),
    relabel=st.permutations("abcdef"),
)
def test_relabelling_channels_permutes_the_credits(
    paths: list[PathRow], model: Model, engine: str, relabel: list[str]
) -> None:
    rename = dict(zip("abcdef", relabel, strict=True))
    renamed = [
        PathRow(
            channels=tuple(rename[c] for c in p.channels),
            conversions=p.conversions,
            value=p.value,
            nulls=p.nulls,
        )
        for p in paths
    ]
    before = by_channel(ENGINES[engine](paths, model))
    after = by_channel(ENGINES[engine](renamed, model))
    assert set(after) == {rename[c] for c in before}
    for channel, credit in before.items():
        moved = after[rename[channel]]
        assert moved.conversions == pytest.approx(credit.conversions, abs=1e-9)
        assert moved.value == pytest.approx(credit.value, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(paths=attribution_paths(), model=MODELS)
def test_the_numpy_engine_agrees_with_the_definition(paths: list[PathRow], model: Model) -> None:
    expected = attribute(paths, model)
    got = NumpyAttribution().attribute(paths, model)
    assert [c.channel for c in got] == [c.channel for c in expected]
    for mine, reference in zip(got, expected, strict=True):
        assert mine.conversions == pytest.approx(reference.conversions, abs=1e-9)
        assert mine.value == pytest.approx(reference.value, abs=1e-9)
        if model is Model.MARKOV:
            assert mine.removal_effect == pytest.approx(reference.removal_effect, abs=1e-9)
