"""Alert conditions pinned: each rule's severity, message and value written out, each
warning share on its threshold (no alert: the comparisons are strict) and just past it,
and the order (critical first)."""

from __future__ import annotations

import pytest

from crmcore.domain.alerts import AlertInputs, AlertKey, Condition, Severity, evaluate

CRIT, WARN = Severity.CRITICAL, Severity.WARNING


def test_all_is_well_by_default() -> None:
    assert evaluate(AlertInputs()) == []
    assert evaluate(AlertInputs(email_service_available=True)) == []


def test_every_condition_at_once_in_order() -> None:
    inputs = AlertInputs(
        database_available=False,
        email_service_available=False,
        routing_failures=3,
        integration_errors=2,
        active_customers=10,
        churn_risk_customers=3,
        leads=11,
        converted_leads=1,
        deliveries=20,
        failed_deliveries=2,
        scoring_seconds=5.06,
        slipping_deals=4,
    )
    assert evaluate(inputs) == [
        Condition(
            key=AlertKey.DATABASE_UNAVAILABLE,
            severity=CRIT,
            message="CRM database unavailable",
            value=None,
        ),
        Condition(key=AlertKey.EMAIL_SERVICE_DOWN, severity=CRIT, message="e-mail service down"),
        Condition(
            key=AlertKey.ROUTING_FAILURES,
            severity=CRIT,
            message="3 leads could not be routed",
            value=3,
        ),
        Condition(
            key=AlertKey.INTEGRATION_ERRORS,
            severity=CRIT,
            message="2 incoming events could not be accepted",
            value=2,
        ),
        Condition(
            key=AlertKey.CHURN_RISK_COHORT,
            severity=WARN,
            message="30% of customers at churn risk",
            value=0.3,
        ),
        Condition(
            key=AlertKey.LOW_CONVERSION, severity=WARN, message="lead conversion 9%", value=1 / 11
        ),
        Condition(
            key=AlertKey.DELIVERY_FAILURES,
            severity=WARN,
            message="10% of campaign deliveries failed",
            value=0.1,
        ),
        Condition(
            key=AlertKey.SCORING_SLOW,
            severity=WARN,
            message="lead scoring took 5.1 s",
            value=5.06,
        ),
        Condition(
            key=AlertKey.DEALS_SLIPPING,
            severity=WARN,
            message="4 deals overdue by more than 14 days",
            value=4,
        ),
    ]


@pytest.mark.parametrize(
    ("inputs", "key"),
    [
        (AlertInputs(active_customers=10, churn_risk_customers=2), None),
        (AlertInputs(active_customers=100, churn_risk_customers=21), AlertKey.CHURN_RISK_COHORT),
        (AlertInputs(leads=10, converted_leads=1), None),
        (AlertInputs(leads=10, converted_leads=0), AlertKey.LOW_CONVERSION),
        (AlertInputs(deliveries=20, failed_deliveries=1), None),
        (AlertInputs(deliveries=100, failed_deliveries=6), AlertKey.DELIVERY_FAILURES),
        (AlertInputs(scoring_seconds=5.0), None),
        (AlertInputs(scoring_seconds=5.01), AlertKey.SCORING_SLOW),
        (AlertInputs(churn_risk_customers=5), None),  # no active customer: no share
        (AlertInputs(converted_leads=0), None),  # no lead: no share
        (AlertInputs(failed_deliveries=5), None),  # no delivery: no share
    ],
)
def test_each_warning_on_and_past_its_threshold(inputs: AlertInputs, key: AlertKey | None) -> None:
    assert [c.key for c in evaluate(inputs)] == ([key] if key else [])


def test_messages_round_shares_to_whole_percents() -> None:
    (low,) = evaluate(AlertInputs(leads=10, converted_leads=0))
    assert (low.message, low.value) == ("lead conversion 0%", 0.0)
    (slow,) = evaluate(AlertInputs(scoring_seconds=12.0))
    assert slow.message == "lead scoring took 12.0 s"


def test_reconcile_raises_new_conditions_clears_gone_ones_and_says_so() -> None:
    from datetime import UTC, datetime
    from uuid import UUID

    import attrs

    from crmcore.domain.alerts import Alert, AlertCleared, AlertRaised, reconcile

    t0, t1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    old = Alert(
        id=UUID(int=1),
        key=AlertKey.SCORING_SLOW,
        severity=WARN,
        message="lead scoring took 6.0 s",
        value=6.0,
        raised_at=t0,
    )
    still = Alert(
        id=UUID(int=2),
        key=AlertKey.DEALS_SLIPPING,
        severity=WARN,
        message="1 deals overdue by more than 14 days",
        value=1,
        raised_at=t0,
    )
    holding = [
        Condition(key=AlertKey.DEALS_SLIPPING, severity=WARN, message="2 deals", value=2),
        Condition(key=AlertKey.ROUTING_FAILURES, severity=CRIT, message="3 leads", value=3),
    ]
    ids = [UUID(int=10), UUID(int=11), UUID(int=12)]  # one more than needed: ignored
    done = reconcile([old, still], holding, at=t1, new_ids=ids)
    raised = Alert(
        id=UUID(int=11),
        key=AlertKey.ROUTING_FAILURES,
        severity=CRIT,
        message="3 leads",
        value=3,
        raised_at=t1,
    )
    assert done.raised == (raised,)
    assert done.cleared == (attrs.evolve(old, cleared_at=t1),)
    assert done.events() == [
        AlertRaised(
            alert_id=UUID(int=11),
            key="routing_failures",
            severity="critical",
            message="3 leads",
            value=3,
        ),
        AlertCleared(alert_id=UUID(int=1), key="scoring_slow"),
    ]
    unchecked = reconcile([old], [], at=t1, new_ids=[], checked=frozenset())
    assert unchecked.cleared == ()
