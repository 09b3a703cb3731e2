"""Alerts (issue 19) on memory, SQLite and PostgreSQL: a condition raises one alert while
it holds and clears when it stops; a routing failure raises its critical alert through
the message bus in the same transaction; slow lead scoring is measured where scores
change; two concurrent checks never open one alert twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import attrs
from returns.result import Success

from crmcore.app.analytics.alerts import check_alerts, list_alerts
from crmcore.app.context import App, transact
from crmcore.app.intelligence.handlers import engagement_to_leads
from crmcore.domain.alerts import (
    EMAIL_SERVICE,
    LEAD_SCORING,
    Alert,
    AlertKey,
    Measurement,
    Reconciled,
    Severity,
)
from crmcore.domain.contact import Contact
from crmcore.domain.ids import LeadId
from crmcore.domain.interactions import EmailOpened
from crmcore.domain.routing import LeadRoutingFailed
from crmcore.ports.errors import DuplicateKey
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend
from tests.contract.helpers import contact, deal, lead


def outbox_types(b: Backend) -> list[str]:
    with b.uow() as uow:
        return [e.type for e in uow.outbox.pending(limit=1000)]


def test_a_slipping_deal_raises_once_and_clears(backend: Backend, backend_app: App) -> None:
    late = attrs.evolve(
        deal(backend, "Late"), expected_close=(backend.clock.now() - timedelta(days=20)).date()
    )
    with backend.uow() as uow:
        uow.deals.add(late)
        uow.commit()
    first = check_alerts(backend_app).unwrap()
    assert [a.key for a in first.raised] == [AlertKey.DEALS_SLIPPING]
    again = check_alerts(backend_app).unwrap()
    assert (again.raised, again.cleared) == ((), ())
    (listed,) = list_alerts(backend_app).unwrap()
    assert listed.key is AlertKey.DEALS_SLIPPING
    assert listed.is_open
    assert outbox_types(backend).count("crm.alert.raised") == 1
    # the deal is won: the condition stops holding, the alert clears
    with backend.uow() as uow:
        stored = uow.deals.get(late.id)
        assert stored is not None
        uow.deals.save(stored.win(at=backend.clock.now()).unwrap().entity)
        uow.commit()
    cleared = check_alerts(backend_app).unwrap()
    assert [a.key for a in cleared.cleared] == [AlertKey.DEALS_SLIPPING]
    assert list_alerts(backend_app).unwrap() == []
    (history,) = list_alerts(backend_app, include_cleared=True).unwrap()
    assert history.cleared_at == backend.clock.now()
    assert outbox_types(backend).count("crm.alert.cleared") == 1


def test_a_routing_failure_raises_the_critical_alert_through_the_bus(
    backend: Backend, backend_app: App
) -> None:
    def fail_routing(uow: UnitOfWork) -> Success[None]:
        uow.record(
            LeadRoutingFailed(lead_id=LeadId(backend.ids.new()), pool="b2b", reason="all full")
        )
        return Success(None)

    # an open alert of another rule, which the handler does not check (nor clear)
    late = attrs.evolve(
        deal(backend, "Late"), expected_close=(backend.clock.now() - timedelta(days=20)).date()
    )
    with backend.uow() as uow:
        uow.deals.add(late)
        uow.commit()
    check_alerts(backend_app).unwrap()
    transact(backend_app, fail_routing).unwrap()
    alerts = {a.key: a for a in list_alerts(backend_app).unwrap()}
    assert set(alerts) == {AlertKey.ROUTING_FAILURES, AlertKey.DEALS_SLIPPING}
    assert alerts[AlertKey.ROUTING_FAILURES].severity.value == "critical"
    # a second failure while it is open raises nothing new
    transact(backend_app, fail_routing).unwrap()
    assert len(list_alerts(backend_app, include_cleared=True).unwrap()) == 2
    assert outbox_types(backend).count("crm.alert.raised") == 2
    # a scheduled check still sees the failures of the last day: nothing changes
    assert check_alerts(backend_app).unwrap().raised == ()


def opened(b: Backend, who: Contact, ago: timedelta) -> EmailOpened:
    return EmailOpened(
        contact_id=who.id, event_id=f"ev-{b.ids.new()}", occurred_at=b.clock.now() - ago
    )


def test_slow_lead_scoring_raises_and_clears(backend: Backend, backend_app: App) -> None:
    person = contact(backend, email="ann@example.com")
    with backend.uow() as uow:
        uow.contacts.add(person)
        uow.leads.add(lead(backend, "ann@example.com"))
        uow.commit()
    # (the new, unconverted lead also makes conversion low: only scoring is looked at)

    def scoring(change: Reconciled) -> tuple[list[float | None], int]:
        """The values raised for slow scoring, and how many such alerts cleared."""
        raised = [a.value for a in change.raised if a.key is AlertKey.SCORING_SLOW]
        return raised, sum(a.key is AlertKey.SCORING_SLOW for a in change.cleared)

    # no lead scored yet: the rule has no input and stays quiet
    assert scoring(check_alerts(backend_app).unwrap()) == ([], 0)

    def score_after(*ago: timedelta) -> None:
        def work(uow: UnitOfWork) -> Success[None]:
            engagement_to_leads(backend_app, uow, [opened(backend, person, a) for a in ago])
            return Success(None)

        transact(backend_app, work).unwrap()

    # an open 2 s ago and one 12 s ago rescore the lead now: it waited 12 s for its score
    score_after(timedelta(seconds=2), timedelta(seconds=12))
    assert scoring(check_alerts(backend_app).unwrap()) == ([12.0], 0)
    # an open imported from last week is history, not a measure of scoring: no change
    backend.clock.advance(timedelta(minutes=1))
    score_after(timedelta(days=7))
    assert scoring(check_alerts(backend_app).unwrap()) == ([], 0)
    assert AlertKey.SCORING_SLOW in {a.key for a in list_alerts(backend_app).unwrap()}
    # a lead scored 1 s after its event: scoring is fast again, the alert clears
    backend.clock.advance(timedelta(minutes=1))
    score_after(timedelta(seconds=1))
    assert scoring(check_alerts(backend_app).unwrap()) == ([], 1)
    # slow again, then two hours without any scoring: not measured any more, it clears
    backend.clock.advance(timedelta(minutes=1))
    score_after(timedelta(seconds=30))
    assert scoring(check_alerts(backend_app).unwrap()) == ([30.0], 0)
    backend.clock.advance(timedelta(hours=2))
    assert scoring(check_alerts(backend_app).unwrap()) == ([], 1)


def test_measurements_keep_the_latest_sample_and_forget_old_ones(backend: Backend) -> None:
    now = backend.clock.now()
    samples = [
        Measurement(id=backend.ids.new(), name=EMAIL_SERVICE, at=now - timedelta(minutes=m),
                    value=float(m % 2), detail=None if m % 2 else f"down {m}")
        for m in (30, 5, 90, 20)
    ]  # fmt: skip
    with backend.uow() as uow:
        uow.measurements.record_many(samples)
        uow.measurements.record_many([])
        uow.commit()
    with backend.uow() as uow:
        latest = uow.measurements.latest(EMAIL_SERVICE, since=now - timedelta(hours=1))
        assert latest == samples[1]
        assert uow.measurements.latest(LEAD_SCORING, since=now - timedelta(hours=1)) is None
        assert uow.measurements.latest(EMAIL_SERVICE, since=now) is None
        assert uow.measurements.prune(before=now - timedelta(minutes=25)) == 2
        uow.commit()
    with backend.uow() as uow:
        assert uow.measurements.latest(EMAIL_SERVICE, since=now - timedelta(days=1)) == samples[1]
        assert uow.measurements.prune(before=now - timedelta(minutes=10)) == 1
        uow.commit()


def _alert(b: Backend, key: AlertKey) -> Alert:
    return Alert(
        id=b.ids.new(), key=key, severity=Severity.WARNING, message=key.value, value=1.0,
        raised_at=b.clock.now(),
    )  # fmt: skip


def test_two_concurrent_checks_open_one_alert_once(backend: Backend) -> None:
    both_read = threading.Barrier(2, timeout=60)
    stored: dict[int, int] = {}
    errors: list[BaseException] = []

    def check(i: int) -> None:
        try:
            with backend.uow() as uow:
                assert uow.alerts.open() == []
                both_read.wait()  # both found the condition without an open alert
                stored[i] = len(uow.alerts.add_many([_alert(backend, AlertKey.LOW_CONVERSION)]))
                uow.commit()
        except DuplicateKey:
            stored[i] = 0  # the memory database refuses the second commit instead
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    assert sorted(stored.values()) == [0, 1]
    with backend.uow() as uow:
        (only,) = uow.alerts.open()
        assert only.key is AlertKey.LOW_CONVERSION
        # once cleared, the condition may open a new alert; closing twice closes once
        cleared = attrs.evolve(only, cleared_at=backend.clock.now())
        assert uow.alerts.close_many([cleared]) == [cleared]
        assert uow.alerts.close_many([cleared]) == []
        again = _alert(backend, AlertKey.LOW_CONVERSION)
        assert uow.alerts.add_many([again]) == [again]
        assert uow.alerts.add_many([_alert(backend, AlertKey.LOW_CONVERSION)]) == []
        uow.commit()
    with backend.uow() as uow:
        assert [a.id for a in uow.alerts.open()] == [again.id]


def test_two_concurrent_check_runs_raise_one_event(backend: Backend, backend_app: App) -> None:
    late = attrs.evolve(
        deal(backend, "Late"), expected_close=(backend.clock.now() - timedelta(days=20)).date()
    )
    with backend.uow() as uow:
        uow.deals.add(late)
        uow.commit()
    results: list[Reconciled] = []
    threads = [
        threading.Thread(target=lambda: results.append(check_alerts(backend_app).unwrap()))
        for _ in range(2)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert sorted(len(r.raised) for r in results) == [0, 1]
    assert len(list_alerts(backend_app).unwrap()) == 1
    assert outbox_types(backend).count("crm.alert.raised") == 1
