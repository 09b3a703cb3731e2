"""Touch paths pinned by hand: touches up to and including the first conversion, the
earliest conversion of a contact, null paths, contacts converting with no touch before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from crmcore.domain.attribution import Conversion, PathRow, Touch, touch_paths
from crmcore.domain.ids import ContactId

T0 = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C, D = (ContactId(UUID(int=n)) for n in range(1, 5))


def touch(who: ContactId, channel: str, hour: int) -> Touch:
    return Touch(contact_id=who, channel=channel, at=T0 + timedelta(hours=hour))


def bought(who: ContactId, hour: int, value: float) -> Conversion:
    return Conversion(contact_id=who, at=T0 + timedelta(hours=hour), value=value)


def test_paths_run_to_the_first_conversion_and_null_paths_count_apart() -> None:
    touches = [
        touch(A, "email", 2),  # out of order: sorted by time
        touch(A, "ads", 1),
        touch(A, "push", 5),  # at the first conversion: counted
        touch(A, "sms", 6),  # after it: not
        touch(B, "ads", 1),
        touch(B, "email", 2),  # B never converts: a null path
        touch(C, "push", 9),  # C converted before its only touch: no path
        touch(D, "ads", 3),
        touch(D, "email", 4),
    ]
    conversions = [
        bought(A, 8, 1.0),
        bought(A, 5, 10.0),  # A's first conversion
        bought(C, 4, 7.0),
        bought(D, 4, 2.5),
    ]
    assert touch_paths(touches, conversions) == [
        PathRow(channels=("ads", "email"), conversions=1.0, value=2.5, nulls=1.0),
        PathRow(channels=("ads", "email", "push"), conversions=1.0, value=10.0, nulls=0.0),
    ]


def test_equal_paths_add_up() -> None:
    touches = [touch(A, "ads", 1), touch(B, "ads", 1), touch(C, "ads", 1), touch(D, "ads", 9)]
    conversions = [bought(A, 1, 3.0), bought(B, 2, 4.0), bought(D, 2, 1.0)]
    assert touch_paths(touches, conversions) == [
        PathRow(channels=("ads",), conversions=2.0, value=7.0, nulls=1.0)
    ]
    assert touch_paths([], conversions) == []


def test_the_earliest_conversion_counts_whatever_the_order_and_the_first_of_a_tie() -> None:
    touches = [touch(A, "ads", 1), touch(A, "email", 6), touch(B, "push", 1)]
    assert touch_paths(touches, [bought(A, 5, 10.0), bought(A, 8, 1.0)]) == [
        PathRow(channels=("ads",), conversions=1.0, value=10.0, nulls=0.0),
        PathRow(channels=("push",), conversions=0.0, value=0.0, nulls=1.0),
    ]
    tie = touch_paths(touches[:1], [bought(A, 5, 10.0), bought(A, 5, 1.0)])
    assert tie == [PathRow(channels=("ads",), conversions=1.0, value=10.0, nulls=0.0)]


def test_null_paths_add_up() -> None:
    touches = [touch(A, "ads", 1), touch(B, "ads", 2), touch(C, "ads", 3)]
    assert touch_paths(touches, []) == [
        PathRow(channels=("ads",), conversions=0.0, value=0.0, nulls=3.0)
    ]


def test_the_chain_skips_paths_without_touches_or_journeys_written_out() -> None:
    from crmcore.domain.attribution import Chain, build_chain

    paths = [
        PathRow(channels=(), conversions=4.0, value=9.0),  # no touch
        PathRow(channels=("c",), conversions=0.0, nulls=0.0),  # no journey
        PathRow(channels=("a", "b"), conversions=2.0, value=5.0, nulls=1.0),
        PathRow(channels=("b",), conversions=0.0, nulls=2.0),
    ]
    # states: 0 start, 1 a, 2 b, 3 c
    assert build_chain(paths) == Chain(
        channels=("a", "b", "c"),
        moves=({1: 3.0, 2: 2.0}, {2: 3.0}, {}, {}),
        converted=(0.0, 0.0, 2.0, 0.0),
        lost=(0.0, 0.0, 3.0, 0.0),
        value=(0.0, 0.0, 5.0, 0.0),
    )


def test_conversion_probability_worked_with_each_channel_removed() -> None:
    from crmcore.domain.attribution import build_chain, conversion_probability

    chain = build_chain(
        [
            PathRow(channels=("a",), conversions=1.0, value=10.0, nulls=1.0),
            PathRow(channels=("a", "b"), conversions=2.0, value=30.0),
            PathRow(channels=("c",), conversions=0.0),  # a state nothing leaves
        ]
    )
    # from b: converts always, worth 30/2; from a: 1/4 + 2/4 · 1 and 10/4 + 2/4 · 15
    assert conversion_probability(chain) == pytest.approx((0.75, 10.0))
    assert conversion_probability(chain, removed=2) == pytest.approx((0.25, 2.5))
    assert conversion_probability(chain, removed=1) == (0.0, 0.0)
    assert conversion_probability(chain, removed=3) == pytest.approx((0.75, 10.0))


def test_the_solver_by_hand() -> None:
    from crmcore.domain.attribution import _solve

    # 2x + y = 5, x + 3y = 10 → x = 1, y = 3; a second right-hand side 2x + y = 1, x + 3y = 3
    out = _solve([[2.0, 1.0], [1.0, 3.0]], [[5.0, 1.0], [10.0, 3.0]])
    assert out == [pytest.approx([1.0, 0.0]), pytest.approx([3.0, 1.0])]
    assert _solve([], []) == []
    with pytest.raises(ValueError, match="zip"):
        _solve([[1.0]], [[1.0], [2.0]])


def test_time_decay_halves_per_half_life_of_touches_before_the_last() -> None:
    from crmcore.domain.attribution import Model, attribute, touch_weights

    raw = [0.5, 0.5**0.5, 1.0]  # half-life 2: one half two touches back
    expected = [w / sum(raw) for w in raw]
    assert touch_weights(Model.TIME_DECAY, 3, half_life=2.0) == pytest.approx(expected)
    paths = [PathRow(channels=("a", "b", "c"), conversions=2.0, value=4.0)]
    credits = attribute(paths, Model.TIME_DECAY, half_life=2.0)
    assert [c.channel for c in credits] == ["a", "b", "c"]
    assert [c.conversions for c in credits] == pytest.approx([2 * w for w in expected])
    assert [c.value for c in credits] == pytest.approx([4 * w for w in expected])
    assert touch_weights(Model.FIRST, 0) == []
    with pytest.raises(ValueError, match=r"^markov is not a rule model$"):
        touch_weights(Model.MARKOV, 2)


def test_removal_effects_and_shares_stay_in_their_ranges() -> None:
    from crmcore.domain.attribution import removal_effect, share

    assert removal_effect(0.0, 0.0) == 0.0
    assert removal_effect(1.0, -1.0) == 1.0
    assert removal_effect(0.5, 0.6) == 0.0
    assert removal_effect(0.5, 0.25) == 0.5
    assert share(10.0, [0.25, 0.25]) == [5.0, 5.0]
    assert share(10.0, [0.0, 0.0]) == [0.0, 0.0]
