"""Deal use cases: create, move, win, lose, pipeline views."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.app.sales.updates import current
from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.events import Changed
from crmcore.domain.ids import AccountId, ContactId, DealId
from crmcore.domain.money import Money
from crmcore.domain.pipeline import (
    OPEN_STAGES,
    Deal,
    DealCreated,
    DealStage,
    StageChange,
)
from crmcore.ports.uow import UnitOfWork


def new_deal(
    app: App,
    *,
    title: str,
    amount: Money,
    account_id: AccountId | None,
    contact_id: ContactId | None,
    stage: DealStage = DealStage.LEAD,
    probability: int | None = None,
    expected_close: date | None = None,
    owner: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Deal:
    """A deal entering the pipeline now, with its first history entry."""
    now = app.clock.now()
    return Deal(
        id=DealId(app.ids.new()),
        title=title.strip(),
        amount=amount,
        account_id=account_id,
        contact_id=contact_id,
        stage=stage,
        probability=app.settings.deal_stages.probability(stage)
        if probability is None
        else probability,
        expected_close=expected_close,
        owner=owner,
        history=(StageChange(from_stage=None, to_stage=stage, at=now),),
        metadata=dict(metadata or {}),
        created_at=now,
        updated_at=now,
    )


def deal_created(deal: Deal) -> DealCreated:
    """The ``crm.deal.created`` event of a new deal."""
    return DealCreated(
        deal_id=deal.id,
        title=deal.title,
        amount=deal.amount.amount,
        currency=deal.amount.currency,
        stage=deal.stage,
        account_id=deal.account_id,
        contact_id=deal.contact_id,
    )


def create_deal(
    app: App,
    *,
    title: str,
    amount: str,
    currency: str | None = None,
    account_id: AccountId | None = None,
    contact_id: ContactId | None = None,
    stage: str = "lead",
    probability: int | None = None,
    expected_close: date | None = None,
    owner: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Result[Deal, AppError]:
    """Open a deal in an open stage; the account and contact must exist."""
    check = Collector()
    if not title.strip():
        check.fail("title", title, "is required")
    money = check.take(Money.parse(amount, currency or app.settings.default_currency))
    if money is not None and money.is_negative:
        check.fail("amount", amount, "must not be negative")
    parsed_stage = check.choice("stage", stage, DealStage)
    if parsed_stage is not None and parsed_stage not in OPEN_STAGES:
        check.fail("stage", stage, "a new deal starts in an open stage")
    if probability is not None and not 0 <= probability <= 100:
        check.fail("probability", str(probability), "must be between 0 and 100")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert money is not None
    assert parsed_stage is not None

    def work(uow: UnitOfWork) -> Result[Deal, AppError]:
        if account_id is not None and uow.accounts.get(account_id) is None:
            return Failure(NotFound(kind="account", key=str(account_id)))
        if contact_id is not None and uow.contacts.get(contact_id) is None:
            return Failure(NotFound(kind="contact", key=str(contact_id)))
        deal = new_deal(
            app,
            title=title,
            amount=money,
            account_id=account_id,
            contact_id=contact_id,
            stage=parsed_stage,
            probability=probability,
            expected_close=expected_close,
            owner=owner,
            metadata=metadata,
        )
        uow.deals.add(deal)
        uow.record(deal_created(deal))
        return Success(deal)

    return transact(app, work)


Step = Callable[[Deal], Result[Changed[Deal], IllegalTransition | RuleViolation]]


def _change_deal(
    app: App, deal_id: DealId, step: Step, *, expected_version: int | None = None
) -> Result[Deal, AppError]:
    def work(uow: UnitOfWork) -> Result[Deal, AppError]:
        found = current("deal", deal_id, uow.deals.get(deal_id), expected_version)
        if isinstance(found, Failure):
            return found
        changed = step(found.unwrap())
        if isinstance(changed, Failure):
            return Failure(changed.failure())
        change = changed.unwrap()
        uow.deals.save(change.entity)
        uow.record(*change.events)
        return Success(change.entity)

    return transact(app, work)


def move_deal(
    app: App,
    deal_id: DealId,
    *,
    to: str | None = None,
    skip_reason: str | None = None,
    expected_version: int | None = None,
) -> Result[Deal, AppError]:
    """Advance to the next stage, or move to ``to``: one stage forward or back, or past
    other stages when ``skip_reason`` says why (only from ``expected_version`` when that
    is given, as the dashboard's board does)."""
    config, now = app.settings.deal_stages, app.clock.now()
    check = Collector()
    target = check.choice("to", to, DealStage)
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def step(d: Deal) -> Result[Changed[Deal], IllegalTransition | RuleViolation]:
        if target is None:
            return d.advance(at=now, config=config)
        return d.move_to(target, at=now, config=config, skip_reason=skip_reason)

    return _change_deal(app, deal_id, step, expected_version=expected_version)


def win_deal(app: App, deal_id: DealId) -> Result[Deal, AppError]:
    """Close the deal as won."""
    config, now = app.settings.deal_stages, app.clock.now()
    return _change_deal(app, deal_id, lambda d: d.win(at=now, config=config))


def lose_deal(app: App, deal_id: DealId, *, reason: str) -> Result[Deal, AppError]:
    """Close the deal as lost with a reason."""
    config, now = app.settings.deal_stages, app.clock.now()
    return _change_deal(app, deal_id, lambda d: d.lose(reason, at=now, config=config))


def get_deal(app: App, deal_id: DealId) -> Result[Deal, AppError]:
    """One deal by id."""

    def work(uow: UnitOfWork) -> Result[Deal, AppError]:
        deal = uow.deals.get(deal_id)
        return Success(deal) if deal else Failure(NotFound(kind="deal", key=str(deal_id)))

    return transact(app, work)


def list_deals(
    app: App,
    *,
    stage: DealStage | None = None,
    limit: int | None = None,
    offset: int = 0,
    after: UUID | None = None,
) -> Result[Sequence[Deal], AppError]:
    """Deals, optionally in one stage."""
    return transact(
        app,
        lambda uow: Success(uow.deals.list(stage=stage, limit=limit, offset=offset, after=after)),
    )


def count_deals(app: App, *, stage: DealStage | None = None) -> Result[int, AppError]:
    """How many deals :func:`list_deals` would give without a limit."""
    return transact(app, lambda uow: Success(uow.deals.count(stage=stage)))


@attrs.frozen(kw_only=True)
class StageSummary:
    """One row of the pipeline view: deals, value and forecast per stage and currency."""

    stage: DealStage
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


@attrs.frozen(kw_only=True)
class BoardCell:
    """Open deals of one owner in one stage (and currency): the deal board's cell."""

    owner: str | None
    stage: DealStage
    currency: str
    deals: int
    amount: Decimal


def deals_board(app: App) -> Result[list[BoardCell], AppError]:
    """Open deals by owner and stage: count and amount per cell, stages in pipeline order,
    owners by name (unassigned last)."""

    def work(uow: UnitOfWork) -> Result[list[BoardCell], AppError]:
        cells: dict[tuple[str | None, DealStage, str], list[Any]] = {}
        for stage in OPEN_STAGES:
            for deal in uow.deals.list(stage=stage):
                acc = cells.setdefault((deal.owner, stage, deal.amount.currency), [0, Decimal(0)])
                acc[0] += 1
                acc[1] += deal.amount.amount
        order = {stage: i for i, stage in enumerate(OPEN_STAGES)}
        return Success(
            sorted(
                (
                    BoardCell(owner=o, stage=s, currency=c, deals=n, amount=a)
                    for (o, s, c), (n, a) in cells.items()
                ),
                key=lambda x: (x.owner is None, x.owner or "", x.currency, order[x.stage]),
            )
        )

    return transact(app, work)


def pipeline_summary(app: App) -> Result[list[StageSummary], AppError]:
    """Counts, amounts and the probability-weighted forecast per stage."""

    def work(uow: UnitOfWork) -> Result[list[StageSummary], AppError]:
        totals: dict[tuple[DealStage, str], list[Decimal]] = {}
        counts: dict[tuple[DealStage, str], int] = {}
        for deal in uow.deals.list():
            key = (deal.stage, deal.amount.currency)
            acc = totals.setdefault(key, [Decimal(0), Decimal(0)])
            acc[0] += deal.amount.amount
            acc[1] += deal.weighted_amount.amount
            counts[key] = counts.get(key, 0) + 1
        order = {stage: i for i, stage in enumerate(DealStage)}
        rows = [
            StageSummary(stage=s, currency=c, deals=counts[(s, c)], amount=a, weighted=w)
            for (s, c), (a, w) in totals.items()
        ]
        return Success(sorted(rows, key=lambda r: (order[r.stage], r.currency)))

    return transact(app, work)


def slipping_deals(app: App, *, today: date | None = None) -> Result[list[Deal], AppError]:
    """Open deals more than 14 days past their expected close date."""
    day = today or app.clock.now().date()
    return transact(app, lambda uow: Success([d for d in uow.deals.list() if d.is_slipping(day)]))
