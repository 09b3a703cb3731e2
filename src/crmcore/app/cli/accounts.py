"""``crm accounts``: add, list, show."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.paging import Paging, list_rows, page_options
from crmcore.app.cli.render import render_one
from crmcore.app.cli.views import ACCOUNT_DETAIL_FIELDS, ACCOUNT_FIELDS, account_row
from crmcore.app.sales.accounts import count_accounts, create_account, get_account, list_accounts
from crmcore.domain.account import SIZE_RANGES, AccountType
from crmcore.domain.ids import AccountId


@click.group()
def accounts() -> None:
    """Organisations we deal with (universities, corporations, NGOs): add, list, show."""


@accounts.command()
@click.option("--name", required=True, help="Account name (unique).")
@click.option(
    "--type",
    "type_",
    type=click.Choice([t.value for t in AccountType]),
    default="corporation",
    show_default=True,
    help="Kind of organisation.",
)
@click.option("--industry", default=None, help="Industry the organisation works in.")
@click.option(
    "--size-range",
    type=click.Choice(SIZE_RANGES),
    default=None,
    help="Number of employees, as a range.",
)
@click.option("--website", default=None, help="Website address.")
@click.option("--region", default=None, help="Region the organisation is in (free text).")
@click.option("--billing-address", default=None, help="Address invoices go to.")
@click.pass_context
def add(
    ctx: click.Context,
    name: str,
    type_: str,
    industry: str | None,
    size_range: str | None,
    website: str | None,
    region: str | None,
    billing_address: str | None,
) -> None:
    """Add an account."""
    account = unwrap(
        create_account(
            app_from(ctx),
            name=name,
            type=type_,
            industry=industry,
            size_range=size_range,
            website=website,
            region=region,
            billing_address=billing_address,
        )
    )
    render_one(account_row(account), ACCOUNT_FIELDS, state_from(ctx).fmt)


@accounts.command("list")
@page_options
@click.pass_context
def list_(ctx: click.Context, page: Paging) -> None:
    """List accounts in creation order, a page at a time."""
    app = app_from(ctx)

    def fetch(start: int, count: int) -> list[dict[str, Any]]:
        return [account_row(a) for a in unwrap(list_accounts(app, limit=count, offset=start))]

    list_rows(
        ctx,
        fetch,
        ACCOUNT_FIELDS,
        page,
        priority=("name", "type", "industry", "region", "id"),
        title="accounts",
        total=lambda: unwrap(count_accounts(app)),
    )


@accounts.command()
@click.argument("account_id", type=click.UUID)
@click.pass_context
def show(ctx: click.Context, account_id: UUID) -> None:
    """Show one account with its decision-making unit (crm contacts relate)."""
    account = unwrap(get_account(app_from(ctx), AccountId(account_id)))
    from crmcore.app.cli.relationships import unit_rows

    row = {**account_row(account), "decision_making_unit": unit_rows(ctx, account.id)}
    render_one(row, [*ACCOUNT_DETAIL_FIELDS, "decision_making_unit"], state_from(ctx).fmt)
