"""Use cases and commands of scoring, routing and health on the memory application."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from returns.result import Failure

from crmcore import App, capture_lead, relay_outbox
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock
from crmcore.app.cli import main
from crmcore.app.importing.transactions import TransactionRow, import_transactions
from crmcore.app.intelligence.health import assess_customer, health_report
from crmcore.app.intelligence.lead_scores import rescore_lead
from crmcore.app.intelligence.scoring import explain_score, rescore_leads
from crmcore.app.sales.routing import route_lead
from crmcore.domain.contact import Contact
from crmcore.domain.health import HealthConfig, HealthInputs, RiskLevel
from crmcore.domain.money import Money
from crmcore.domain.routing import Owner, RoutingConfig, TerritoryRule
from crmcore.domain.scoring import ScoringConfig


def published(app: App, publisher: MemoryPublisher) -> list[str]:
    relay_outbox(app, batch=1000).unwrap()
    return publisher.types()


def test_rescore_emits_scored_only_on_change_and_the_hot_trigger(
    app: App, publisher: MemoryPublisher
) -> None:
    lead = capture_lead(
        app,
        email="a@b.io",
        first_name="A",
        company_size=5000,
        industry="education",
        budget="100000",
        job_title="CEO",
    ).unwrap()
    assert lead.score == 50  # scored on capture
    config = ScoringConfig(hot_threshold=40)
    assert rescore_leads(app, config=config).unwrap().changed == 0
    rescore_lead(app, lead.id, score=10).unwrap()  # a hand override, below the threshold
    first = rescore_leads(app, config=config).unwrap()
    assert (first.scored, first.changed, first.crossed) == (1, 1, 1)
    again = rescore_leads(app, config=config).unwrap()
    assert again.changed == 0
    types = published(app, publisher)
    assert types.count("crm.lead.scored") == 3  # capture, override, rescore
    assert types.count("crm.lead.score_threshold_crossed") == 1
    why = explain_score(app, lead.id, config=config).unwrap()
    assert why.score == 50
    assert {c.component for c in why.contributions} >= {"size", "industry", "web", "email"}


def test_routing_assigns_round_robin_and_alerts_when_unroutable(
    app: App, publisher: MemoryPublisher
) -> None:
    config = RoutingConfig(
        owners=(Owner(id="ann", capacity=1), Owner(id="bob", capacity=1)),
        territories=(TerritoryRule(team="eu", region="EU"),),
    )
    ids = [capture_lead(app, email=f"l{i}@x.io", first_name="L").unwrap().id for i in range(3)]
    owners = [route_lead(app, i, config=config).unwrap().assignee for i in ids[:2]]
    assert owners == ["ann", "bob"]
    failed = route_lead(app, ids[2], config=config)
    assert isinstance(failed, Failure)
    assert "no active owner with free capacity" in str(failed.failure())
    eu = capture_lead(app, email="eu@x.io", first_name="E", region="EU").unwrap()
    assert isinstance(route_lead(app, eu.id, config=config), Failure)
    types = published(app, publisher)
    assert types.count("crm.lead.assigned") == 2
    assert types.count("crm.lead.routing_failed") == 2


def test_health_history_events_and_report(
    app: App, publisher: MemoryPublisher, clock: FixedClock
) -> None:
    row = TransactionRow(customer_id="u1", occurred_at=clock.now(), amount=Money.of("5"))
    import_transactions(app, [row]).unwrap()
    (contact,) = [c for c in _contacts(app) if c.user_id == "u1"]
    config = HealthConfig()
    bad = HealthInputs(nps=2, renewal_at=clock.now() + timedelta(days=5))
    assert assess_customer(app, contact.id, bad, config=config).unwrap().level is RiskLevel.RED
    clock.advance(timedelta(days=1))
    assess_customer(app, contact.id, bad, config=config).unwrap()
    report = health_report(app, risk=RiskLevel.RED).unwrap()
    assert [r.user_id for r in report] == ["u1"]
    assert any(r.startswith("low_nps") for r in report[0].reasons)
    assert health_report(app, risk=RiskLevel.GREEN).unwrap() == []
    types = published(app, publisher)
    assert types.count("crm.health.changed") == 1
    assert types.count("crm.churn_risk.detected") == 3
    assert types.count("crm.renewal.approaching") == 2


def _contacts(app: App) -> list[Contact]:
    with app.uow() as uow:
        return list(uow.contacts.list())


@pytest.fixture
def runner(app: App, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    return _AppRunner(app)


def test_cli_rescore_and_health(app: App, runner: CliRunner, clock: FixedClock) -> None:
    capture_lead(app, email="a@b.io", first_name="A").unwrap()
    result = runner.invoke(main.cli, ["--db", "memory://", "leads", "rescore"])
    assert (result.exit_code, result.stdout.strip()) == (
        0,
        "scored 1 leads, 0 changed, 0 crossed 80",
    )
    row = TransactionRow(customer_id="u9", occurred_at=clock.now(), amount=Money.of("5"))
    import_transactions(app, [row]).unwrap()
    with app.uow() as uow:
        (c,) = uow.contacts.list()
        uow.contacts.save(attrs.evolve(c, attributes={"health": {"nps": 3, "tickets": "x"}}))
        uow.commit()
    result = runner.invoke(main.cli, ["--db", "memory://", "health", "assess"])
    assert "assessed 0 customers" in result.stdout
    assert "health.tickets: must be a count" in result.stderr
    with app.uow() as uow:
        (c,) = uow.contacts.list()
        uow.contacts.save(attrs.evolve(c, attributes={"health": {"nps": 3}}))
        uow.commit()
    runner.invoke(main.cli, ["--db", "memory://", "health", "assess"])
    result = runner.invoke(main.cli, ["--db", "memory://", "health", "report", "--risk", "red"])
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["contact_id", "user_id", "name", "score", "level"]
    assert "u9" in lines[1]
    assert "red" in lines[1]
    assert "low_nps" in lines[1]
    result = runner.invoke(main.cli, ["--db", "memory://", "health", "report", "--risk", "pink"])
    assert result.exit_code == 2


def test_health_history_is_purged_after_six_months_but_the_latest_is_kept(
    app: App, clock: FixedClock
) -> None:
    row = TransactionRow(customer_id="u1", occurred_at=clock.now(), amount=Money.of("5"))
    import_transactions(app, [row]).unwrap()
    (contact,) = _contacts(app)
    for _ in range(3):
        assess_customer(app, contact.id, HealthInputs(nps=9), config=HealthConfig()).unwrap()
        clock.advance(timedelta(days=100))
    with app.uow() as uow:
        assert len(uow.health.history(contact.id)) == 3
        # records at day 0, 100, 200; now is day 300, so day 0 and 100 are older than 183 days
        assert uow.health.purge_before(clock.now() - timedelta(days=183)) == 2
        uow.commit()
    with app.uow() as uow:
        kept = uow.health.history(contact.id)
        assert len(kept) == 1
        assert uow.health.latest(contact.id) == kept[-1]


class _AppRunner(CliRunner):
    """A runner whose every invocation uses one pre-built application."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self._app = app

    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        kwargs.setdefault("obj", main.CliState(app=self._app))
        return super().invoke(*args, **kwargs)
