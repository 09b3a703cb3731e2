"""Deal and activity use cases through bootstrap with memory adapters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from click.testing import CliRunner
from returns.result import Failure

import crmcore
from crmcore import App, IllegalTransition, InvalidInput, NotFound, RuleViolation
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock
from crmcore.app.cli.main import CliState, cli
from crmcore.domain.ids import AccountId
from crmcore.domain.pipeline import DealStage


def test_move_win_and_events(app: App, clock: FixedClock, publisher: MemoryPublisher) -> None:
    deal = crmcore.create_deal(
        app, title="Campus licence", amount="1200.50", currency="eur"
    ).unwrap()
    assert deal.amount.currency == "EUR"
    clock.advance(timedelta(days=1))
    moved = crmcore.move_deal(app, deal.id).unwrap()
    assert moved.stage == DealStage.QUALIFIED
    assert moved.probability == 20
    refused = crmcore.move_deal(app, deal.id, to="negotiation").failure()
    assert "skips meeting, proposal" in str(refused)
    jumped = crmcore.move_deal(app, deal.id, to="negotiation", skip_reason="signed early").unwrap()
    assert [c.to_stage for c in jumped.history] == ["lead", "qualified", "negotiation"]
    won = crmcore.win_deal(app, deal.id).unwrap()
    assert won.actual_close == clock.now().date()
    failure = crmcore.lose_deal(app, deal.id, reason="late").failure()
    assert isinstance(failure, IllegalTransition)
    assert failure.allowed == ()
    crmcore.relay_outbox(app).unwrap()
    assert publisher.types() == [
        "crm.deal.created",
        "crm.deal.stage_changed",
        "crm.deal.stage_changed",
        "crm.deal.stage_changed",
        "crm.deal.won",
    ]


def test_lose_needs_a_reason(app: App) -> None:
    deal = crmcore.create_deal(app, title="X", amount="10").unwrap()
    assert isinstance(crmcore.lose_deal(app, deal.id, reason=" ").failure(), RuleViolation)
    lost = crmcore.lose_deal(app, deal.id, reason="price").unwrap()
    assert lost.lost_reason == "price"
    assert lost.probability == 0


def test_create_validates_everything(app: App) -> None:
    result = crmcore.create_deal(app, title="", amount="1.5e", stage="closed_won", probability=120)
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert {e.field for e in error.errors} == {"title", "amount", "stage", "probability"}


def test_create_refuses_unknown_account(app: App) -> None:
    result = crmcore.create_deal(app, title="X", amount="1", account_id=AccountId(app.ids.new()))
    assert isinstance(result.failure(), NotFound)


def test_pipeline_forecast_is_probability_weighted(app: App) -> None:
    a = crmcore.create_deal(app, title="A", amount="1000").unwrap()
    crmcore.create_deal(app, title="B", amount="500").unwrap()
    crmcore.move_deal(app, a.id, to="proposal", skip_reason="warm intro").unwrap()
    rows = {r.stage: r for r in crmcore.pipeline_summary(app).unwrap()}
    assert rows[DealStage.LEAD].weighted == Decimal("50")
    assert rows[DealStage.PROPOSAL].weighted == Decimal("600")
    assert rows[DealStage.PROPOSAL].deals == 1


def test_slipping_means_more_than_14_days_overdue(app: App, clock: FixedClock) -> None:
    today = clock.now().date()
    crmcore.create_deal(app, title="ok", amount="1", expected_close=today - timedelta(days=14))
    late = crmcore.create_deal(
        app, title="late", amount="1", expected_close=today - timedelta(days=15)
    ).unwrap()
    assert [d.id for d in crmcore.slipping_deals(app).unwrap()] == [late.id]
    assert crmcore.slipping_deals(app, today=date(2020, 1, 1)).unwrap() == []


def test_tasks_complete_once_and_overdue(app: App, clock: FixedClock) -> None:
    deal = crmcore.create_deal(app, title="X", amount="1").unwrap()
    task = crmcore.log_activity(
        app,
        type="task",
        subject="Call back",
        deal_id=deal.id,
        due_at=clock.now() + timedelta(hours=2),
    ).unwrap()
    assert crmcore.overdue_tasks(app).unwrap() == []
    clock.advance(timedelta(hours=3))
    assert [t.id for t in crmcore.overdue_tasks(app).unwrap()] == [task.id]
    assert crmcore.complete_task(app, task.id).unwrap().completed_at == clock.now()
    assert isinstance(crmcore.complete_task(app, task.id), Failure)
    assert crmcore.overdue_tasks(app).unwrap() == []


def test_activity_needs_a_subject_and_a_target(app: App) -> None:
    error = crmcore.log_activity(app, type="fax", subject="").failure()
    assert isinstance(error, InvalidInput)
    assert {e.field for e in error.errors} == {"type", "subject", "concerns"}


def test_the_deal_board_counts_open_deals_by_owner_and_stage(app: App) -> None:
    made = [
        ("A", "100", "ann", "eur"),
        ("B", "250", "ann", "eur"),
        ("C", "40", None, "eur"),
        ("D", "7", "bob", "usd"),
        ("E", "9", "ann", "eur"),
    ]
    ids = {}
    for title, amount, owner, currency in made:
        deal = crmcore.create_deal(
            app, title=title, amount=amount, owner=owner, currency=currency
        ).unwrap()
        ids[title] = deal.id
    crmcore.move_deal(app, ids["B"]).unwrap()
    crmcore.win_deal(app, ids["E"]).unwrap()  # closed: off the board
    cells = {
        (c.owner, c.stage.value, c.currency): (c.deals, c.amount)
        for c in crmcore.deals_board(app).unwrap()
    }
    assert cells == {
        ("ann", "lead", "EUR"): (1, Decimal("100")),
        ("ann", "qualified", "EUR"): (1, Decimal("250")),
        ("bob", "lead", "USD"): (1, Decimal("7")),
        (None, "lead", "EUR"): (1, Decimal("40")),
    }
    owners = [c.owner for c in crmcore.deals_board(app).unwrap()]
    assert owners == ["ann", "ann", "bob", None]
    table = CliRunner().invoke(cli, ["deals", "board"], obj=CliState(app=app)).output
    assert "1 · 100.00" in table
    assert "(unassigned)" in table
