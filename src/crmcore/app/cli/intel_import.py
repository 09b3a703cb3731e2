"""``crm import transactions FILE.csv``, to be attached to the ``import`` group."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.app.cli.context import app_from
from crmcore.app.cli.intel_render import EXIT_REFUSED, value_or_exit
from crmcore.app.importing.transactions import import_transactions_file


@click.command("transactions")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def transactions(ctx: click.Context, file: Path) -> None:
    """Import transactions (customer_id,occurred_at,amount[,transaction_id,currency]).

    Good rows are imported even when others are rejected; every rejected row is reported
    with its line and field on stderr, and the exit code is then 1. Re-importing the same
    file adds nothing.
    """

    summary = value_or_exit(import_transactions_file(app_from(ctx), file))
    click.echo(
        f"imported {summary.imported} transactions, skipped {summary.duplicates} already "
        f"imported, created {summary.contacts_created} contacts, rejected "
        f"{len({e.line for e in summary.errors})} rows"
    )
    for error in summary.errors:
        click.echo(f"error: {error}", err=True)
    if summary.errors:
        raise SystemExit(EXIT_REFUSED)


def attach(cli: click.Group) -> None:
    """Add ``transactions`` to the ``import`` group, creating the group if it is absent."""
    group = cli.commands.get("import")
    if not isinstance(group, click.Group):
        group = click.Group("import", help="Import data from files.")
        cli.add_command(group)
    group.add_command(transactions)
