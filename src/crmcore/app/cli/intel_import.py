"""``crm import transactions FILE.csv`` (main.py adds it to the ``import`` group)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crmcore.app.cli.context import CommandFailed, app_from, state_from
from crmcore.app.cli.intel_render import value_or_exit
from crmcore.app.cli.progress import progress_bar
from crmcore.app.importing.transactions import import_transactions_file

EXIT_REJECTED_ROWS = 3


def _data_lines(path: Path) -> int:
    """The file's lines after the header (for the progress bar's total)."""
    try:
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return 0
    return max(lines - 1, 0)


@click.command("transactions")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def transactions(ctx: click.Context, file: Path) -> None:
    """Import purchases (customer_id,occurred_at,amount[,transaction_id,currency,channel,
    product]) through the same path as ingested purchase events.

    The file is read as a stream, a batch of rows per transaction: each purchase is stored
    once (by transaction_id, else by its content), and the loyalty board, CLV and health
    follow. Good rows are imported even when others are rejected; every rejected row is
    reported with its line and field on stderr, and the exit code is then 3 (an unreadable
    file or a missing column: 2). The encoding (UTF-8, cp1251, ...) and the delimiter
    (, ; tab |) are detected. Re-importing the same file adds nothing; after a crash,
    re-running it completes the import.
    """
    app = app_from(ctx)
    show = not state_from(ctx).quiet and sys.stderr.isatty()
    total = _data_lines(file) if show else 0
    with progress_bar(show) as bar:

        def progress(done: int) -> None:
            if bar is not None:
                bar("importing", done, total)

        summary = value_or_exit(import_transactions_file(app, file, progress=progress))
    click.echo(
        f"imported {summary.imported} transactions, skipped {summary.duplicates} already "
        f"imported, created {summary.contacts_created} contacts, rejected "
        f"{len({e.line for e in summary.errors})} rows"
    )
    for error in summary.errors:
        click.echo(f"error: {error}", err=True)
    if summary.errors:
        rejected = len({e.line for e in summary.errors})
        stored = (
            "the other rows are stored"
            if summary.imported or summary.duplicates
            else "no row was stored"
        )
        raise CommandFailed(f"{rejected} rows rejected; {stored}", exit_code=EXIT_REJECTED_ROWS)
