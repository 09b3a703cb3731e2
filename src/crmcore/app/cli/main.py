"""The ``crm`` command: a thin click layer over the use cases."""

from __future__ import annotations

import sys

import click
from returns.result import Failure, Result

import crmcore
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.deals import pipeline_summary
from crmcore.app.errors import AppError

EXIT_REFUSED = 1


def unwrap_or_exit(result: Result[object, AppError]) -> object:
    """The value, or a one-line message on stderr and exit code 1."""
    if isinstance(result, Failure):
        click.echo(f"error: {result.failure()}", err=True)
        sys.exit(EXIT_REFUSED)
    return result.unwrap()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(crmcore.__version__, prog_name="crm")
@click.option("--db", "db_url", envvar="CRMCORE_DB", default=None, help="Database URL.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """crmcore operator CLI: leads, contacts, accounts, deals and reports."""
    ctx.obj = Settings.from_env(db_url=db_url)


def app_from(ctx: click.Context) -> App:
    """Build the application for this invocation."""
    settings: Settings = ctx.obj
    return bootstrap(settings)


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Build a small in-memory CRM and print the pipeline by stage."""
    from crmcore.app.demo import build_demo

    app = bootstrap(Settings(db_url="memory://"))
    build_demo(app)
    rows = unwrap_or_exit(pipeline_summary(app))
    assert isinstance(rows, list)
    click.echo(f"{'stage':<13}{'deals':>6}{'amount':>14}{'forecast':>14}")
    for row in rows:
        click.echo(f"{row.stage:<13}{row.deals:>6}{row.amount:>14.2f}{row.weighted:>14.2f}")


def main() -> None:
    """Console-script entry point."""
    cli()


from crmcore.app.cli.db import db_group  # noqa: E402

cli.add_command(db_group)

from crmcore.app.cli.outbox import outbox_group  # noqa: E402

cli.add_command(outbox_group)

from crmcore.app.cli.privacy import privacy_group, retention_group  # noqa: E402

cli.add_command(retention_group)
cli.add_command(privacy_group)
