"""Lead routing (C1) pinned: capacity on its line, territory rules winning over the pool,
round-robin turns, the failure's contents and the assignment trail.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from returns.result import Failure

from crmcore.domain.email import Email
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead
from crmcore.domain.names import PersonName
from crmcore.domain.routing import (
    Assignment,
    Owner,
    RoutingConfig,
    RoutingFailure,
    RoutingState,
    TerritoryRule,
    assigned,
    route,
)
from tests.conftest import T0

EDU = TerritoryRule(team="edu", region="EU", industry="Education")
CONFIG = RoutingConfig(
    owners=(
        Owner(id="bob", team="edu"),
        Owner(id="amy", team="edu"),
        Owner(id="cy", team="sales"),
        Owner(id="dan", team="sales", active=False),
    ),
    territories=(EDU,),
    default_team="sales",
)


@pytest.mark.parametrize(("load", "free"), [(0, True), (1, True), (2, False), (3, False)])
def test_an_owner_at_capacity_takes_no_more(load: int, free: bool) -> None:
    config = RoutingConfig(owners=(Owner(id="amy", capacity=2),))
    result = route(
        region=None, industry=None, config=config, state=RoutingState(loads={"amy": load})
    )
    if free:
        assignment = result.unwrap()
        assert assignment.owner == "amy"
        assert assignment.state.loads == {"amy": load + 1}
    else:
        assert result == Failure(
            RoutingFailure(
                pool="*", region=None, industry=None, reason="no active owner with free capacity"
            )
        )


def test_an_owner_without_recorded_load_has_none() -> None:
    config = RoutingConfig(owners=(Owner(id="amy", capacity=1),))
    assignment = route(region=None, industry=None, config=config, state=RoutingState()).unwrap()
    assert assignment.state == RoutingState(loads={"amy": 1}, last={"*": "amy"})


def test_a_territory_rule_wins_over_the_default_team() -> None:
    first = route(region="eu", industry="EDUCATION", config=CONFIG, state=RoutingState()).unwrap()
    assert first == Assignment(
        owner="amy",
        pool="edu",
        rule=EDU,
        state=RoutingState(loads={"amy": 1}, last={"edu": "amy"}),
    )
    second = route(region="EU", industry="education", config=CONFIG, state=first.state).unwrap()
    assert (second.owner, second.state.loads) == ("bob", {"amy": 1, "bob": 1})
    third = route(region="EU", industry="education", config=CONFIG, state=second.state).unwrap()
    assert third.owner == "amy"  # turns wrap around in id order
    other = route(region="US", industry="Education", config=CONFIG, state=RoutingState()).unwrap()
    assert (other.owner, other.pool, other.rule) == ("cy", "sales", None)


def test_a_rule_without_a_field_matches_any_value_of_it() -> None:
    anywhere = TerritoryRule(team="edu", industry="education")
    assert anywhere.matches(None, "Education")
    assert anywhere.matches("APAC", "education")
    assert not anywhere.matches("APAC", None)
    assert not anywhere.matches("APAC", "finance")
    assert TerritoryRule(team="t").matches(None, None)


def test_routing_failures_say_why_and_where() -> None:
    nobody = RoutingConfig(owners=(Owner(id="dan", team="sales", active=False),), default_team="x")
    assert route(region="EU", industry="Retail", config=nobody, state=RoutingState()) == Failure(
        RoutingFailure(pool="x", region="EU", industry="Retail", reason="no owners in this pool")
    )
    inactive = RoutingConfig(owners=(Owner(id="dan", active=False),))
    failure = route(region="EU", industry="Retail", config=inactive, state=RoutingState()).failure()
    assert str(failure) == (
        "lead routing failed (region=EU, industry=Retail, pool=*): "
        "no active owner with free capacity"
    )


def test_an_assigned_lead_keeps_the_trail() -> None:
    lead = Lead(
        id=LeadId(UUID(int=1)),
        email=Email("a@b.co"),
        name=PersonName("A", "B"),
        metadata={"src": "form"},
        created_at=T0,
        updated_at=T0,
    )
    assignment = route(region=None, industry=None, config=CONFIG, state=RoutingState()).unwrap()
    at = T0 + timedelta(minutes=1)
    done = assigned(lead, assignment, seq=7, at=at)
    assert (done.assignee, done.updated_at) == ("cy", at)
    assert done.metadata == {"src": "form", "routing": {"pool": "sales", "seq": 7}}
