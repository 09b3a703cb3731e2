"""``crm retention purge`` and ``crm privacy export|erase EMAIL``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

import click
from returns.result import Failure, Result

from crmcore.app.bootstrap import UnsupportedDatabase, bootstrap
from crmcore.app.cli.context import fail, settings_of
from crmcore.app.context import App
from crmcore.app.errors import AppError, NotFound
from crmcore.app.privacy import erase_person, export_person, purge_retention
from crmcore.ports.errors import StorageError

EXIT_REFUSED = 1
EXIT_NOT_FOUND = 3
T = TypeVar("T")


def _value(result: Result[T, AppError]) -> T:
    if isinstance(result, Failure):
        error = result.failure()
        fail(str(error), exit_code=EXIT_NOT_FOUND if isinstance(error, NotFound) else EXIT_REFUSED)
    return result.unwrap()


def _app(ctx: click.Context) -> App:
    settings = settings_of(ctx)
    try:
        return bootstrap(settings)
    except (UnsupportedDatabase, StorageError) as exc:
        fail(str(exc), exit_code=EXIT_REFUSED)


@click.group("retention")
def retention_group() -> None:
    """Data retention (leads 2 y inactive, activities 3 y, campaign detail 1 y, health 6 m)."""


@retention_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be purged.")
@click.pass_context
def purge(ctx: click.Context, dry_run: bool) -> None:
    """Delete what the retention policy no longer allows to keep; report counts per table."""
    report = _value(purge_retention(_app(ctx), dry_run=dry_run))
    verb = "would purge" if dry_run else "purged"
    for table, count in report.counts.items():
        click.echo(f"{table:<22}{verb} {count}")


@click.group("privacy")
def privacy_group() -> None:
    """Personal-data requests: export or erase everything held about one person."""


@privacy_group.command("export")
@click.argument("email")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.option("--actor", default=None, help="Who asked (kept in the audit log).")
@click.pass_context
def export(ctx: click.Context, email: str, out: Path | None, actor: str | None) -> None:
    """JSON of everything held about the person with EMAIL (exit 3 when nothing is held)."""
    data = _value(export_person(_app(ctx), email=email, actor=actor))
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"exported to {out}")


@privacy_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--actor", default=None, help="Who asked (kept in the audit log).")
@click.pass_context
def erase(ctx: click.Context, email: str, yes: bool, actor: str | None) -> None:
    """Remove or anonymise EMAIL's personal data everywhere (aggregates are kept)."""
    if not yes:
        click.confirm(f"Erase all personal data of {email}? This cannot be undone", abort=True)
    report = _value(erase_person(_app(ctx), email=email, actor=actor))
    traces = ", ".join(f"{table} {n}" for table, n in report.traces.items())
    click.echo(
        f"erased: {report.leads} lead(s), {report.contacts} contact(s), "
        f"{report.activities} activit(y/ies); redacted rows: {traces or 'none'}; "
        "audit record written"
    )
