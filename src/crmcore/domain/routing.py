"""Lead routing: territory rules, round-robin among active owners, capacity per owner.

Deterministic: the same configuration and state always give the same owner. Territory
rules (region / industry → team) are tried in order and win over the general pool; inside
a pool owners take turns in id order, starting after the pool's last assignee, skipping
inactive owners and owners at capacity. When nobody can take the lead the result is a
:class:`RoutingFailure` (a critical alert), never an unassigned lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead

ALL_OWNERS = "*"


@attrs.frozen(kw_only=True)
class Owner:
    """A person leads can be assigned to; ``capacity`` caps their open leads (None = no cap)."""

    id: str
    team: str = "default"
    active: bool = True
    capacity: int | None = None


@attrs.frozen(kw_only=True)
class TerritoryRule:
    """Leads from ``region`` and/or in ``industry`` go to ``team`` (case-insensitive)."""

    team: str
    region: str | None = None
    industry: str | None = None

    def matches(self, region: str | None, industry: str | None) -> bool:
        def same(want: str | None, got: str | None) -> bool:
            return want is None or (got is not None and want.casefold() == got.casefold())

        return same(self.region, region) and same(self.industry, industry)


@attrs.frozen(kw_only=True)
class RoutingConfig:
    """Owners, territory rules in order, and the team of unmatched leads (None = everyone)."""

    owners: tuple[Owner, ...] = ()
    territories: tuple[TerritoryRule, ...] = ()
    default_team: str | None = None


@attrs.frozen(kw_only=True)
class RoutingState:
    """Open leads per owner and the last owner assigned in each pool."""

    loads: Mapping[str, int] = attrs.field(factory=dict)
    last: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Assignment:
    """Who gets the lead, from which pool and rule, and the state after it."""

    owner: str
    pool: str
    rule: TerritoryRule | None
    state: RoutingState


@attrs.frozen(kw_only=True)
class RoutingFailure:
    """No owner can take the lead: a critical alert."""

    pool: str
    region: str | None
    industry: str | None
    reason: str

    def __str__(self) -> str:
        return (
            f"lead routing failed (region={self.region}, industry={self.industry}, "
            f"pool={self.pool}): {self.reason}"
        )


def route(
    *, region: str | None, industry: str | None, config: RoutingConfig, state: RoutingState
) -> Result[Assignment, RoutingFailure]:
    """Choose the owner of a lead from ``region`` in ``industry``."""
    rule = next((r for r in config.territories if r.matches(region, industry)), None)
    pool = rule.team if rule else (config.default_team or ALL_OWNERS)
    members = sorted(
        (o for o in config.owners if pool == ALL_OWNERS or o.team == pool), key=lambda o: o.id
    )
    eligible = [
        o
        for o in members
        if o.active and (o.capacity is None or state.loads.get(o.id, 0) < o.capacity)
    ]
    if not eligible:
        reason = "no owners in this pool" if not members else "no active owner with free capacity"
        return Failure(RoutingFailure(pool=pool, region=region, industry=industry, reason=reason))
    last = state.last.get(pool)
    chosen = next((o for o in eligible if last is None or o.id > last), eligible[0])
    loads = dict(state.loads)
    loads[chosen.id] = loads.get(chosen.id, 0) + 1
    return Success(
        Assignment(
            owner=chosen.id,
            pool=pool,
            rule=rule,
            state=RoutingState(loads=loads, last={**state.last, pool: chosen.id}),
        )
    )


def assigned(lead: Lead, assignment: Assignment, *, seq: int, at: datetime) -> Lead:
    """The lead assigned to the chosen owner; the routing trail is kept in its metadata."""
    trail = {"pool": assignment.pool, "seq": seq}
    return attrs.evolve(
        lead,
        assignee=assignment.owner,
        metadata={**lead.metadata, "routing": trail},
        updated_at=at,
    )


@event_type("crm.lead.assigned")
@attrs.frozen(kw_only=True)
class LeadAssigned(DomainEvent):
    """A lead was routed to an owner."""

    lead_id: LeadId
    owner: str
    pool: str


@event_type("crm.lead.routing_failed")
@attrs.frozen(kw_only=True)
class LeadRoutingFailed(DomainEvent):
    """Critical alert: no owner could take a lead."""

    lead_id: LeadId
    pool: str
    reason: str
