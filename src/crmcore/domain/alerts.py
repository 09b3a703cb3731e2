"""Alerts (C11): the critical and warning conditions as rules over measured inputs, and
their deduplication while a condition holds.

An alert is *open* from the check that first finds its condition holding until the first
check that finds it no longer holding (then it is *cleared*); while it is open, later
checks raise nothing new. A condition whose input was not measured recently (no e-mail
sent, no lead scored) is simply not evaluated: its input is None.

Two inputs are measured where they happen and kept as :class:`Measurement` samples: the
send worker records whether it reached each channel's service, and lead scoring records
how long after its event a lead was scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from crmcore.domain.events import DomainEvent, event_type

#: Warning thresholds (C11).
CHURN_RISK_SHARE = 0.20
LOW_CONVERSION = 0.10
DELIVERY_FAILURES = 0.05
SCORING_SECONDS = 5.0


#: Measurement names: a channel's service reached (1) or not (0) by the send worker.
CHANNEL_SERVICE = "channel:"
EMAIL_SERVICE = "channel:email"
#: Seconds from an event to the lead score it changed (the slowest of one batch).
LEAD_SCORING = "lead_scoring_seconds"


@attrs.frozen(kw_only=True)
class Measurement:
    """One measured sample of an alert input."""

    id: UUID
    name: str
    at: datetime
    value: float
    detail: str | None = None


class Severity(StrEnum):
    """How urgent an alert is."""

    CRITICAL = "critical"
    WARNING = "warning"


class AlertKey(StrEnum):
    """The conditions of C11."""

    DATABASE_UNAVAILABLE = "database_unavailable"
    EMAIL_SERVICE_DOWN = "email_service_down"
    ROUTING_FAILURES = "routing_failures"
    INTEGRATION_ERRORS = "integration_errors"
    CHURN_RISK_COHORT = "churn_risk_cohort"
    LOW_CONVERSION = "low_conversion"
    DELIVERY_FAILURES = "delivery_failures"
    SCORING_SLOW = "scoring_slow"
    DEALS_SLIPPING = "deals_slipping"


@attrs.frozen(kw_only=True)
class AlertInputs:
    """What a check measured (None: not measured, the rule is skipped)."""

    database_available: bool = True
    email_service_available: bool | None = None
    email_service_error: str | None = None
    routing_failures: int = 0
    integration_errors: int = 0
    active_customers: int = 0
    churn_risk_customers: int = 0
    leads: int = 0
    converted_leads: int = 0
    deliveries: int = 0
    failed_deliveries: int = 0
    scoring_seconds: float | None = None
    slipping_deals: int = 0


@attrs.frozen(kw_only=True)
class Condition:
    """A condition that holds now."""

    key: AlertKey
    severity: Severity
    message: str
    value: float | None = None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def evaluate(inputs: AlertInputs) -> list[Condition]:
    """Every C11 condition that holds for ``inputs``, critical ones first."""
    out: list[Condition] = []

    def add(key: AlertKey, severity: Severity, message: str, value: float | None) -> None:
        out.append(Condition(key=key, severity=severity, message=message, value=value))

    critical, warning = Severity.CRITICAL, Severity.WARNING
    if not inputs.database_available:
        add(AlertKey.DATABASE_UNAVAILABLE, critical, "CRM database unavailable", None)
    if inputs.email_service_available is False:
        why = f": {inputs.email_service_error}" if inputs.email_service_error else ""
        add(AlertKey.EMAIL_SERVICE_DOWN, critical, f"e-mail service down{why}", None)
    if inputs.routing_failures:
        add(
            AlertKey.ROUTING_FAILURES,
            critical,
            f"{inputs.routing_failures} leads could not be routed",
            inputs.routing_failures,
        )
    if inputs.integration_errors:
        add(
            AlertKey.INTEGRATION_ERRORS,
            critical,
            f"{inputs.integration_errors} incoming events could not be accepted",
            inputs.integration_errors,
        )
    risk = _share(inputs.churn_risk_customers, inputs.active_customers)
    if risk is not None and risk > CHURN_RISK_SHARE:
        add(AlertKey.CHURN_RISK_COHORT, warning, f"{risk:.0%} of customers at churn risk", risk)
    conversion = _share(inputs.converted_leads, inputs.leads)
    if conversion is not None and conversion < LOW_CONVERSION:
        add(AlertKey.LOW_CONVERSION, warning, f"lead conversion {conversion:.0%}", conversion)
    failures = _share(inputs.failed_deliveries, inputs.deliveries)
    if failures is not None and failures > DELIVERY_FAILURES:
        add(
            AlertKey.DELIVERY_FAILURES,
            warning,
            f"{failures:.0%} of campaign deliveries failed",
            failures,
        )
    if inputs.scoring_seconds is not None and inputs.scoring_seconds > SCORING_SECONDS:
        add(
            AlertKey.SCORING_SLOW,
            warning,
            f"lead scoring took {inputs.scoring_seconds:.1f} s",
            inputs.scoring_seconds,
        )
    if inputs.slipping_deals:
        add(
            AlertKey.DEALS_SLIPPING,
            warning,
            f"{inputs.slipping_deals} deals overdue by more than 14 days",
            inputs.slipping_deals,
        )
    return out


@attrs.frozen(kw_only=True)
class Alert:
    """A raised alert; ``cleared_at`` once its condition stopped holding."""

    id: UUID
    key: AlertKey
    severity: Severity
    message: str
    value: float | None
    raised_at: datetime
    cleared_at: datetime | None = None
    version: int = 0

    @property
    def is_open(self) -> bool:
        """True while the condition holds."""
        return self.cleared_at is None


@event_type("crm.alert.raised")
@attrs.frozen(kw_only=True)
class AlertRaised(DomainEvent):
    """A C11 condition started to hold (raised once until it clears)."""

    alert_id: UUID
    key: str
    severity: str
    message: str
    value: float | None = None


@event_type("crm.alert.cleared")
@attrs.frozen(kw_only=True)
class AlertCleared(DomainEvent):
    """A raised alert's condition no longer holds."""

    alert_id: UUID
    key: str


@attrs.frozen(kw_only=True)
class Reconciled:
    """What a check changes: alerts to raise (new), alerts to clear (now closed)."""

    raised: tuple[Alert, ...]
    cleared: tuple[Alert, ...]

    def events(self) -> list[DomainEvent]:
        """The events of the change."""
        out: list[DomainEvent] = [
            AlertRaised(
                alert_id=a.id,
                key=a.key.value,
                severity=a.severity.value,
                message=a.message,
                value=a.value,
            )
            for a in self.raised
        ]
        out.extend(AlertCleared(alert_id=a.id, key=a.key.value) for a in self.cleared)
        return out


def reconcile(
    open_alerts: Sequence[Alert],
    holding: Sequence[Condition],
    *,
    at: datetime,
    new_ids: Sequence[UUID],
    checked: frozenset[AlertKey] | None = None,
) -> Reconciled:
    """Raise the holding conditions that have no open alert; clear the open alerts whose
    condition no longer holds (only among ``checked`` keys, default: all). ``new_ids``
    gives one id per holding condition (the unused ones are ignored)."""
    open_keys = {a.key for a in open_alerts}
    holding_keys = {c.key for c in holding}
    raised = tuple(
        Alert(
            id=new_id,
            key=c.key,
            severity=c.severity,
            message=c.message,
            value=c.value,
            raised_at=at,
        )
        for c, new_id in zip(holding, new_ids, strict=False)
        if c.key not in open_keys
    )
    scope = checked if checked is not None else frozenset(AlertKey)
    cleared = tuple(
        attrs.evolve(a, cleared_at=at)
        for a in open_alerts
        if a.key not in holding_keys and a.key in scope
    )
    return Reconciled(raised=raised, cleared=cleared)
