"""``crm deals``: create, move, win, lose, list, show, pipeline, slipping."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.paging import Paging, list_rows, page_options
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import (
    DEAL_DETAIL_FIELDS,
    DEAL_FIELDS,
    PIPELINE_FIELDS,
    SLIPPING_FIELDS,
    cents,
    deal_row,
    pipeline_row,
)
from crmcore.app.sales.deals import (
    count_deals,
    create_deal,
    deals_board,
    get_deal,
    list_deals,
    lose_deal,
    move_deal,
    pipeline_summary,
    slipping_deals,
    win_deal,
)
from crmcore.domain.ids import AccountId, ContactId, DealId
from crmcore.domain.pipeline import OPEN_STAGES, Deal, DealStage

STAGES = [s.value for s in DealStage]


@click.group()
def deals() -> None:
    """Deals: the b2b pipeline."""


def _show(ctx: click.Context, deal: Deal) -> None:
    render_one(deal_row(deal), DEAL_FIELDS, state_from(ctx).fmt)


@deals.command()
@click.option("--title", required=True, help="What the deal is about.")
@click.option("--amount", required=True, help="Decimal amount, e.g. 12000.00.")
@click.option("--currency", default=None, help="ISO-4217 code [default: settings].")
@click.option(
    "--account-id", type=click.UUID, default=None, help="Id of the account buying (must exist)."
)
@click.option(
    "--contact-id", type=click.UUID, default=None, help="Id of the contact on it (must exist)."
)
@click.option(
    "--stage",
    type=click.Choice(STAGES[:6]),
    default="lead",
    show_default=True,
    help="Open stage the deal starts in.",
)
@click.option(
    "--probability",
    type=click.IntRange(0, 100),
    default=None,
    help="Chance of winning, in percent [default: the stage's probability].",
)
@click.option(
    "--expected-close",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the deal should close (YYYY-MM-DD).",
)
@click.option("--owner", default=None, help="Who works the deal.")
@click.pass_context
def create(
    ctx: click.Context,
    title: str,
    amount: str,
    currency: str | None,
    account_id: UUID | None,
    contact_id: UUID | None,
    stage: str,
    probability: int | None,
    expected_close: datetime | None,
    owner: str | None,
) -> None:
    """Open a deal."""
    deal = unwrap(
        create_deal(
            app_from(ctx),
            title=title,
            amount=amount,
            currency=currency,
            account_id=AccountId(account_id) if account_id else None,
            contact_id=ContactId(contact_id) if contact_id else None,
            stage=stage,
            probability=probability,
            expected_close=expected_close.date() if expected_close else None,
            owner=owner,
        )
    )
    _show(ctx, deal)


@deals.command()
@click.argument("deal_id", type=click.UUID)
@click.option(
    "--to",
    "to",
    type=click.Choice(STAGES),
    default=None,
    help="The stage to move to: the next or the previous one (others need --skip).",
)
@click.option(
    "--skip",
    "skip_reason",
    default=None,
    metavar="REASON",
    help="Why the deal skips stages (recorded on the crm.deal.stage_changed event).",
)
@click.pass_context
def move(ctx: click.Context, deal_id: UUID, to: str | None, skip_reason: str | None) -> None:
    """Move a deal one stage on (or to --to: one stage forward or back; a move past other
    stages needs --skip REASON). Close it with `deals win` or `deals lose`."""
    _show(ctx, unwrap(move_deal(app_from(ctx), DealId(deal_id), to=to, skip_reason=skip_reason)))


@deals.command()
@click.argument("deal_id", type=click.UUID)
@click.pass_context
def win(ctx: click.Context, deal_id: UUID) -> None:
    """Close a deal as won."""
    _show(ctx, unwrap(win_deal(app_from(ctx), DealId(deal_id))))


@deals.command()
@click.argument("deal_id", type=click.UUID)
@click.option("--reason", required=True, help="Why it was lost (required).")
@click.pass_context
def lose(ctx: click.Context, deal_id: UUID, reason: str) -> None:
    """Close a deal as lost."""
    _show(ctx, unwrap(lose_deal(app_from(ctx), DealId(deal_id), reason=reason)))


@deals.command("list")
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=None,
    help="Only deals at this stage [default: every stage].",
)
@page_options
@click.pass_context
def list_(ctx: click.Context, stage: str | None, page: Paging) -> None:
    """List deals in creation order, a page at a time."""
    app = app_from(ctx)
    wanted = DealStage(stage) if stage else None

    def fetch(start: int, count: int) -> list[dict[str, Any]]:
        found = unwrap(list_deals(app, stage=wanted, limit=count, offset=start))
        return [deal_row(d) for d in found]

    list_rows(
        ctx,
        fetch,
        DEAL_FIELDS,
        page,
        priority=("title", "stage", "amount", "currency", "owner", "expected_close", "id"),
        title="deals",
        total=lambda: unwrap(count_deals(app, stage=wanted)),
    )


@deals.command()
@click.argument("deal_id", type=click.UUID)
@click.pass_context
def show(ctx: click.Context, deal_id: UUID) -> None:
    """Show one deal with its stage history."""
    deal = unwrap(get_deal(app_from(ctx), DealId(deal_id)))
    render_one(deal_row(deal), DEAL_DETAIL_FIELDS, state_from(ctx).fmt)


def pipeline_rows(ctx: click.Context) -> list[dict[str, Any]]:
    """The pipeline view: one row per stage and currency (shared with ``crm demo``)."""
    app = app_from(ctx)
    summary = unwrap(pipeline_summary(app))
    return [pipeline_row(r, app.settings.deal_stages.probability(r.stage)) for r in summary]


@deals.command()
@click.pass_context
def pipeline(ctx: click.Context) -> None:
    """Deals, amount and probability-weighted forecast per stage (open stages totalled)."""
    rows = pipeline_rows(ctx)
    fmt = state_from(ctx).fmt
    if fmt == "table" and rows:
        totals: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
        for row in rows:
            if row["stage"] in OPEN_STAGES:
                acc = totals[row["currency"]]
                acc[0] += row["deals"]
                acc[1] += row["amount"]
                acc[2] += row["forecast"]
        rows = rows + [
            {
                "stage": "open total",
                "currency": cur,
                "deals": n,
                "amount": amount,
                "forecast": cents(forecast),
            }
            for cur, (n, amount, forecast) in sorted(totals.items())
        ]
    render(rows, PIPELINE_FIELDS, fmt, title="pipeline")


@deals.command("board")
@click.pass_context
def board_cmd(ctx: click.Context) -> None:
    """Open deals as a board: a column per stage, a row per owner (and currency); each
    cell is the number of deals and their amount. JSON/CSV: one record per cell."""
    cells = unwrap(deals_board(app_from(ctx)))
    fmt = state_from(ctx).fmt
    if fmt != "table":
        fields = ("owner", "stage", "currency", "deals", "amount")
        rows = [
            {"owner": c.owner, "stage": c.stage.value, "currency": c.currency}
            | {"deals": c.deals, "amount": c.amount}
            for c in cells
        ]
        render(rows, fields, fmt, title="deal board")
        return
    grid: dict[tuple[str, str], dict[str, Any]] = {}
    for c in cells:
        row = grid.setdefault(
            (c.owner or "(unassigned)", c.currency),
            {"owner": c.owner or "(unassigned)", "currency": c.currency},
        )
        row[c.stage.value] = f"{c.deals} · {c.amount:,.2f}"
    stages = [s.value for s in OPEN_STAGES]
    render(list(grid.values()), ("owner", "currency", *stages), fmt, title="deal board")


@deals.command()
@click.pass_context
def slipping(ctx: click.Context) -> None:
    """Open deals more than 14 days past their expected close date."""
    app = app_from(ctx)
    today = app.clock.now().date()
    found = unwrap(slipping_deals(app, today=today))
    rows = []
    for deal in found:
        row = deal_row(deal)
        assert deal.expected_close is not None
        row["days_overdue"] = (today - deal.expected_close).days
        rows.append(row)
    render(rows, SLIPPING_FIELDS, state_from(ctx).fmt, title="slipping deals")
