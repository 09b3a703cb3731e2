"""Lead routing (C1): fair round-robin, capacity, territory rules, failures as alerts."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.routing import Owner, RoutingConfig, RoutingState, TerritoryRule, route

owner_ids = st.lists(
    st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=6, unique=True
)


@given(owner_ids, st.integers(0, 60), st.lists(st.booleans(), min_size=6, max_size=6))
def test_round_robin_is_fair(ids: list[str], n: int, active: list[bool]) -> None:
    owners = tuple(Owner(id=i, active=a) for i, a in zip(ids, active, strict=False))
    eligible = {o.id for o in owners if o.active}
    config = RoutingConfig(owners=owners)
    state = RoutingState()
    got: Counter[str] = Counter()
    for _ in range(n):
        result = route(region=None, industry=None, config=config, state=state)
        if not eligible:
            assert isinstance(result, Failure)
            return
        assignment = result.unwrap()
        state = assignment.state
        got[assignment.owner] += 1
        counts = [got[o] for o in eligible]
        assert max(counts) - min(counts) <= 1
    assert set(got) <= eligible


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=5),
    st.integers(0, 30),
)
def test_capacity_is_never_exceeded(caps: list[tuple[int, int]], n: int) -> None:
    owners = tuple(Owner(id=f"o{i}", capacity=c) for i, (c, _) in enumerate(caps))
    state = RoutingState(loads={f"o{i}": min(load, c) for i, (c, load) in enumerate(caps)})
    config = RoutingConfig(owners=owners)
    free = sum(o.capacity or 0 for o in owners) - sum(state.loads.values())
    for k in range(n):
        result = route(region="EU", industry=None, config=config, state=state)
        if k < free:
            assert isinstance(result, Success)
            state = result.unwrap().state
        else:
            assert isinstance(result, Failure)
            assert "capacity" in str(result.failure())
        for o in owners:
            assert state.loads.get(o.id, 0) <= (o.capacity or 0)


regions = st.sampled_from(["EU", "US", "APAC", None])
industries = st.sampled_from(["education", "finance", None])


@given(st.lists(st.tuples(regions, industries), max_size=30))
def test_territory_rules_win_over_round_robin(leads: list[tuple[str | None, str | None]]) -> None:
    owners = (
        Owner(id="eu1", team="eu"),
        Owner(id="eu2", team="eu"),
        Owner(id="edu", team="edu"),
        Owner(id="g1"),
        Owner(id="g2"),
    )
    rules = (TerritoryRule(team="eu", region="eu"), TerritoryRule(team="edu", industry="Education"))
    config = RoutingConfig(owners=owners, territories=rules, default_team="default")
    state = RoutingState()
    for region, industry in leads:
        assignment = route(region=region, industry=industry, config=config, state=state).unwrap()
        state = assignment.state
        if region == "EU":
            assert assignment.owner in {"eu1", "eu2"}
        elif industry == "education":
            assert assignment.owner == "edu"
        else:
            assert assignment.owner in {"g1", "g2"}


def test_same_state_same_owner_and_unroutable_is_a_clear_failure() -> None:
    config = RoutingConfig(owners=(Owner(id="a"), Owner(id="b")))
    state = RoutingState(last={"*": "a"})
    first = route(region=None, industry=None, config=config, state=state).unwrap()
    again = route(region=None, industry=None, config=config, state=state).unwrap()
    assert first.owner == again.owner == "b"
    none = route(
        region="EU",
        industry=None,
        config=RoutingConfig(territories=(TerritoryRule(team="eu", region="EU"),)),
        state=state,
    )
    assert isinstance(none, Failure)
    assert str(none.failure()) == (
        "lead routing failed (region=EU, industry=None, pool=eu): no owners in this pool"
    )
