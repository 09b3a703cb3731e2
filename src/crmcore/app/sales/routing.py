"""Lead routing use case.

The routing state is derived from the stored leads: open leads per owner (status new or
qualified) and, per pool, the owner of the lead with the highest routing sequence number
(``metadata["routing"]``). A lead nobody can take records ``crm.lead.routing_failed``
(committed, so the alert is not lost) and the use case fails with a clear message.
"""

from __future__ import annotations

from typing import Any

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.errors import RuleViolation
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.routing import (
    LeadAssigned,
    LeadRoutingFailed,
    RoutingConfig,
    RoutingFailure,
    RoutingState,
    assigned,
    route,
)
from crmcore.ports.uow import UnitOfWork

OPEN = (LeadStatus.NEW, LeadStatus.QUALIFIED)


def _state(leads: list[Lead]) -> tuple[RoutingState, int]:
    loads: dict[str, int] = {}
    last: dict[str, tuple[int, str]] = {}
    top = 0
    for lead in leads:
        if lead.assignee and lead.status in OPEN:
            loads[lead.assignee] = loads.get(lead.assignee, 0) + 1
        trail: Any = lead.metadata.get("routing")
        if isinstance(trail, dict) and isinstance(trail.get("seq"), int) and lead.assignee:
            seq, pool = trail["seq"], str(trail.get("pool"))
            top = max(top, seq)
            if pool not in last or last[pool][0] < seq:
                last[pool] = (seq, lead.assignee)
    return RoutingState(loads=loads, last={p: o for p, (_, o) in last.items()}), top


def route_lead(app: App, lead_id: LeadId, *, config: RoutingConfig) -> Result[Lead, AppError]:
    """Assign a lead to an owner by territory, round-robin and capacity."""

    def work(uow: UnitOfWork) -> Result[Lead | RoutingFailure, AppError]:
        lead = uow.leads.get(lead_id)
        if lead is None:
            return Failure(NotFound(kind="lead", key=str(lead_id)))
        state, top = _state(list(uow.leads.list()))
        outcome = route(
            region=lead.firmographics.region,
            industry=lead.firmographics.industry,
            config=config,
            state=state,
        )
        if isinstance(outcome, Failure):
            failure = outcome.failure()
            uow.record(LeadRoutingFailed(lead_id=lead.id, pool=failure.pool, reason=str(failure)))
            return Success(failure)
        assignment = outcome.unwrap()
        routed = assigned(lead, assignment, seq=top + 1, at=app.clock.now())
        uow.leads.save(routed)
        uow.record(LeadAssigned(lead_id=lead.id, owner=assignment.owner, pool=assignment.pool))
        return Success(routed)

    def settle(value: Lead | RoutingFailure) -> Result[Lead, AppError]:
        if isinstance(value, RoutingFailure):
            return Failure(RuleViolation(rule="lead routing", detail=str(value)))
        return Success(value)

    return transact(app, work).bind(settle)
