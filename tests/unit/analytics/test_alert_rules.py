"""C11 alert rules at their thresholds, and deduplication as a state machine checked
against an independent model (raised once per stretch of holding)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from crmcore.domain.alerts import (
    Alert,
    AlertCleared,
    AlertInputs,
    AlertKey,
    AlertRaised,
    Condition,
    Severity,
    evaluate,
    reconcile,
)


def keys(inputs: AlertInputs) -> set[AlertKey]:
    return {c.key for c in evaluate(inputs)}


def test_nothing_holds_on_a_quiet_day() -> None:
    assert evaluate(AlertInputs()) == []


def test_critical_conditions() -> None:
    assert keys(AlertInputs(database_available=False)) == {AlertKey.DATABASE_UNAVAILABLE}
    assert keys(AlertInputs(email_service_available=False)) == {AlertKey.EMAIL_SERVICE_DOWN}
    assert keys(AlertInputs(email_service_available=None)) == set()  # not measured
    assert keys(AlertInputs(routing_failures=1)) == {AlertKey.ROUTING_FAILURES}
    assert keys(AlertInputs(integration_errors=2)) == {AlertKey.INTEGRATION_ERRORS}
    assert {c.severity for c in evaluate(AlertInputs(routing_failures=1))} == {Severity.CRITICAL}


def test_warning_thresholds_are_strict() -> None:
    # churn risk over 20 % of active customers: 20 % is not, 21 % is
    assert keys(AlertInputs(active_customers=100, churn_risk_customers=20)) == set()
    assert keys(AlertInputs(active_customers=100, churn_risk_customers=21)) == {
        AlertKey.CHURN_RISK_COHORT
    }
    # conversion under 10 %
    assert keys(AlertInputs(leads=100, converted_leads=10)) == set()
    assert keys(AlertInputs(leads=100, converted_leads=9)) == {AlertKey.LOW_CONVERSION}
    # delivery failures over 5 %
    assert keys(AlertInputs(deliveries=100, failed_deliveries=5)) == set()
    assert keys(AlertInputs(deliveries=100, failed_deliveries=6)) == {AlertKey.DELIVERY_FAILURES}
    # scoring over 5 s
    assert keys(AlertInputs(scoring_seconds=5.0)) == set()
    assert keys(AlertInputs(scoring_seconds=5.1)) == {AlertKey.SCORING_SLOW}
    assert keys(AlertInputs(slipping_deals=1)) == {AlertKey.DEALS_SLIPPING}
    # no denominators, no rates
    assert keys(AlertInputs(leads=0, deliveries=0, active_customers=0)) == set()
    (warning,) = evaluate(AlertInputs(slipping_deals=3))
    assert warning.severity is Severity.WARNING


T0 = datetime(2026, 1, 1, tzinfo=UTC)
WATCHED = [AlertKey.ROUTING_FAILURES, AlertKey.DEALS_SLIPPING, AlertKey.LOW_CONVERSION]


class Dedup(RuleBasedStateMachine):
    """Checks over time with conditions switching on and off; the model counts, per key,
    the stretches in which the condition held (each raises exactly once)."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[UUID, Alert] = {}
        self.holding: set[AlertKey] = set()
        self.was_holding: set[AlertKey] = set()
        self.stretches: dict[AlertKey, int] = dict.fromkeys(WATCHED, 0)
        self.raised: dict[AlertKey, int] = dict.fromkeys(WATCHED, 0)
        self.cleared: dict[AlertKey, int] = dict.fromkeys(WATCHED, 0)
        self.ids = 0
        self.now = T0

    @rule(key=st.sampled_from(WATCHED), on=st.booleans())
    def switch(self, key: AlertKey, on: bool) -> None:
        (self.holding.add if on else self.holding.discard)(key)

    @rule()
    def check(self) -> None:
        self.now += timedelta(minutes=5)
        for key in self.holding - self.was_holding:
            self.stretches[key] += 1
        self.was_holding = set(self.holding)
        conditions = [
            Condition(key=k, severity=Severity.WARNING, message=k.value)
            for k in sorted(self.holding)
        ]
        new_ids = [UUID(int=self.ids + i + 1) for i in range(len(conditions))]
        self.ids += len(conditions)
        open_alerts = [a for a in self.stored.values() if a.is_open]
        change = reconcile(open_alerts, conditions, at=self.now, new_ids=new_ids)
        for alert in (*change.raised, *change.cleared):
            self.stored[alert.id] = alert
        for event in change.events():
            if isinstance(event, AlertRaised):
                self.raised[AlertKey(event.key)] += 1
            elif isinstance(event, AlertCleared):
                self.cleared[AlertKey(event.key)] += 1

    @invariant()
    def raised_once_per_stretch(self) -> None:
        assert self.raised == self.stretches

    @invariant()
    def open_exactly_while_holding(self) -> None:
        open_keys = [a.key for a in self.stored.values() if a.is_open]
        assert sorted(open_keys) == sorted(self.was_holding)
        for key in WATCHED:
            # every stretch that ended was cleared once
            assert self.cleared[key] == self.stretches[key] - (key in self.was_holding)


Dedup.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestDedup = Dedup.TestCase


def test_a_check_limited_to_some_rules_clears_only_those() -> None:
    open_alerts = [
        Alert(
            id=UUID(int=n),
            key=key,
            severity=Severity.WARNING,
            message="",
            value=None,
            raised_at=T0,
            version=1,
        )
        for n, key in enumerate([AlertKey.DEALS_SLIPPING, AlertKey.ROUTING_FAILURES], 1)
    ]
    change = reconcile(
        open_alerts, [], at=T0, new_ids=[], checked=frozenset({AlertKey.ROUTING_FAILURES})
    )
    assert [a.key for a in change.cleared] == [AlertKey.ROUTING_FAILURES]
    assert change.raised == ()
