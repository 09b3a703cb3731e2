"""Alerts (issue 19) on memory, SQLite and PostgreSQL: a condition raises one alert while
it holds and clears when it stops; a routing failure raises its critical alert through
the message bus in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import attrs
from returns.result import Success

from crmcore.app.analytics.alerts import check_alerts, list_alerts
from crmcore.app.context import App, transact
from crmcore.domain.alerts import AlertKey
from crmcore.domain.ids import LeadId
from crmcore.domain.routing import LeadRoutingFailed
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend
from tests.contract.helpers import deal


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
