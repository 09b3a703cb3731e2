"""Account roll-up of health (C6, b2b): the mean of the contacts' latest scores."""

from __future__ import annotations

from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.health import HealthConfig, RiskLevel, level_of, roll_up

CONFIG = HealthConfig()
accounts = st.dictionaries(
    st.integers(1, 50).map(lambda i: UUID(int=i)),
    st.lists(st.integers(0, 100), min_size=1, max_size=8),
    max_size=6,
)


@given(scores=accounts)
def test_each_account_gets_the_rounded_mean_its_worst_and_its_reds(
    scores: dict[UUID, list[int]],
) -> None:
    rolled = roll_up(scores, CONFIG)
    assert {r.account for r in rolled} == set(scores)
    for r in rolled:
        values = scores[r.account]
        assert min(values) <= r.score <= max(values)
        assert abs(r.score - sum(values) / len(values)) <= 0.5
        assert r.worst == min(values)
        assert r.contacts == len(values)
        assert r.red == sum(1 for v in values if v < CONFIG.red_below)
        assert r.level is level_of(r.score, CONFIG)
    assert [r.score for r in rolled] == sorted(r.score for r in rolled)


def test_one_red_user_in_a_healthy_account_stays_visible() -> None:
    (acme,) = roll_up({UUID(int=1): [90, 95, 20]}, CONFIG)
    assert (acme.score, acme.level, acme.worst, acme.red) == (68, RiskLevel.YELLOW, 20, 1)
