"""``crm db upgrade`` and ``crm db current``: the schema of the database named by --db."""

from __future__ import annotations

import click

from crmcore.app.bootstrap import (
    SchemaMismatch,
    UnsupportedDatabase,
    database_revision,
    upgrade_database,
)
from crmcore.app.cli.context import fail, settings_of
from crmcore.ports.errors import StorageError

EXIT_REFUSED = 1
EXIT_STORAGE = 4


def _url(ctx: click.Context) -> str:
    settings = settings_of(ctx)
    return settings.db_url


@click.group("db")
def db_group() -> None:
    """Database schema: apply migrations, show the current revision."""


@db_group.command("upgrade")
@click.option("--to", "revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Apply the shipped migrations to the database (--db URL or CRMCORE_DB)."""
    url = _url(ctx)
    try:
        reached = upgrade_database(url, revision=revision)
    except SchemaMismatch as exc:
        fail(str(exc), exit_code=EXIT_REFUSED)
    except (UnsupportedDatabase, StorageError) as exc:  # unreachable, or a URL we cannot open
        fail(str(exc), exit_code=EXIT_STORAGE)
    click.echo(f"database at revision {reached}")


@db_group.command("current")
@click.pass_context
def current(ctx: click.Context) -> None:
    """Show the database's schema revision and the newest one this code knows."""
    url = _url(ctx)
    try:
        rev, head = database_revision(url)
    except (UnsupportedDatabase, StorageError) as exc:
        fail(str(exc), exit_code=EXIT_STORAGE)
    state = (
        "up to date"
        if rev == head
        else "not initialised: run `crm db upgrade`"
        if rev is None
        else f"behind {head}: run `crm db upgrade`"
    )
    click.echo(f"revision: {rev or '(none)'}  head: {head}  ({state})")
