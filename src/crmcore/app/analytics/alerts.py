"""Alerts (C11): measure, evaluate the rules, raise what started to hold and clear what
stopped, as ``crm.alert.raised`` / ``crm.alert.cleared`` events in the same transaction.

``crm alerts check`` runs :func:`check_alerts` (on a schedule: cron, a systemd timer);
the message bus runs :func:`routing_failed` when a lead could not be routed, so that
critical alert is raised at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from returns.result import Failure, Result, Success

from crmcore.app.context import transact
from crmcore.app.errors import AppError, Conflict
from crmcore.domain.alerts import (
    EMAIL_SERVICE,
    LEAD_SCORING,
    Alert,
    AlertInputs,
    AlertKey,
    Reconciled,
    evaluate,
    reconcile,
)
from crmcore.domain.health import RiskLevel
from crmcore.domain.lead import LeadStatus
from crmcore.domain.routing import LeadRoutingFailed
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App

#: How far back the critical counters look (routing failures, refused events).
RECENT = timedelta(days=1)
#: How far back the rates look (lead conversion, campaign deliveries).
TREND = timedelta(days=30)
#: How recent the last send or scoring sample must be to count (older: not measured).
SAMPLES = timedelta(hours=1)
#: How long measured samples are kept (each check forgets older ones).
KEEP_SAMPLES = timedelta(days=7)
#: How often a check that lost a race with a concurrent check runs again.
CHECK_RETRIES = 3


def measure(app: App, uow: UnitOfWork) -> AlertInputs:
    """The inputs of the rules, read in ``uow``."""
    now = app.clock.now()
    health = uow.health.latest_all()
    leads = [lead for lead in uow.leads.list() if lead.created_at >= now - TREND]
    sent, failed = uow.analytics.delivery_counts(since=now - TREND)
    email = uow.measurements.latest(EMAIL_SERVICE, since=now - SAMPLES)
    scoring = uow.measurements.latest(LEAD_SCORING, since=now - SAMPLES)
    return AlertInputs(
        email_service_available=None if email is None else email.value > 0,
        email_service_error=None if email is None else email.detail,
        scoring_seconds=None if scoring is None else scoring.value,
        routing_failures=uow.analytics.event_count(LeadRoutingFailed.TYPE, since=now - RECENT),
        integration_errors=uow.analytics.failed_input_count(since=now - RECENT),
        active_customers=len(health),
        churn_risk_customers=sum(1 for h in health if h.level is RiskLevel.RED),
        leads=len(leads),
        converted_leads=sum(1 for lead in leads if lead.status is LeadStatus.CONVERTED),
        deliveries=sent,
        failed_deliveries=failed,
        slipping_deals=sum(1 for d in uow.deals.list() if d.is_slipping(now.date())),
    )


def check_in(
    app: App, uow: UnitOfWork, *, inputs: AlertInputs | None = None, only: AlertKey | None = None
) -> Reconciled:
    """Evaluate the rules in ``uow`` (on ``inputs`` when given, else measured) and store
    and record what changed; ``only`` limits the check to one condition."""
    holding = evaluate(inputs or measure(app, uow))
    if only is not None:
        holding = [c for c in holding if c.key is only]
    change = reconcile(
        uow.alerts.open(),
        holding,
        at=app.clock.now(),
        new_ids=app.ids.new_many(len(holding)) if holding else [],
        checked=None if only is None else frozenset({only}),
    )
    # another check may have raised or cleared the same alerts meanwhile: only what this
    # one stored is announced
    done = Reconciled(
        raised=tuple(uow.alerts.add_many(change.raised)),
        cleared=tuple(uow.alerts.close_many(change.cleared)),
    )
    uow.record(*done.events())
    return done


def check_alerts(app: App) -> Result[Reconciled, AppError]:
    """One scheduled check (and forgetting the samples older than a week). A check whose
    commit collides with a concurrent one's (both opened or cleared one alert) runs again
    and then finds that alert as the other left it."""

    def work(uow: UnitOfWork) -> Result[Reconciled, AppError]:
        uow.measurements.prune(before=app.clock.now() - KEEP_SAMPLES)
        return Success(check_in(app, uow))

    result = transact(app, work)
    for _ in range(CHECK_RETRIES):
        if not (isinstance(result, Failure) and isinstance(result.failure(), Conflict)):
            break
        result = transact(app, work)
    return result


def list_alerts(app: App, *, include_cleared: bool = False) -> Result[list[Alert], AppError]:
    """Open alerts (and the cleared ones with ``include_cleared``), newest first."""
    return transact(
        app,
        lambda uow: Success(list(uow.alerts.list(include_cleared=include_cleared))),
        commit=False,
    )


def routing_failed(app: App, uow: UnitOfWork, events: Sequence[LeadRoutingFailed]) -> None:
    """Bus handler: a lead could not be routed; raise the critical alert in the same
    transaction unless it is open (only this rule is checked: it is cheap)."""
    since = app.clock.now() - RECENT
    failures = len(events) + uow.analytics.event_count(LeadRoutingFailed.TYPE, since=since)
    check_in(
        app, uow, inputs=AlertInputs(routing_failures=failures), only=AlertKey.ROUTING_FAILURES
    )
