"""``crm import transactions FILE.csv`` (main.py adds it to the ``import`` group)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crmcore.app.cli.context import CommandFailed, app_from, note, state_from, unwrap
from crmcore.app.cli.imports import (
    SUMMARY_FIELDS,
    file_options,
    forced_delimiter,
    shown_delimiter,
)
from crmcore.app.cli.progress import progress_bar
from crmcore.app.cli.render import render_one
from crmcore.app.importing.plan import parse_mapping
from crmcore.app.importing.transactions import (
    BATCH,
    import_transactions_file,
    write_rejected_rows,
)

EXIT_REJECTED_ROWS = 3
#: Rejected rows listed on stderr; the rest are counted (all go to --errors).
SHOWN_ERRORS = 20


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
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Map a column to a field ('Client=customer_id'; 'Column=' ignores it). Repeatable.",
)
@file_options
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH,
    show_default=True,
    help="Rows stored per transaction (each batch is committed on its own).",
)
@click.pass_context
def transactions(
    ctx: click.Context,
    file: Path,
    mapping: tuple[str, ...],
    encoding: str | None,
    delimiter: str | None,
    dry_run: bool,
    errors_path: str | None,
    batch_size: int,
) -> None:
    """Import purchases (customer_id,occurred_at,amount[,transaction_id,currency,channel,
    product,kind]) through the same path as ingested purchase events.

    The file is read as a stream, a batch of rows per transaction: each purchase is stored
    once (by transaction_id, else by its content), and the loyalty board, CLV and health
    follow. Good rows are imported even when others are rejected; every rejected row is
    reported with its line and field on stderr, and the exit code is then 3 (an unreadable
    file or a missing column: 2). The encoding (UTF-8, cp1251, ...) and the delimiter
    (, ; tab |) are detected. Re-importing the same file adds nothing; after a crash,
    re-running it completes the import. A negative amount needs kind=refund; a date more
    than a day in the future is rejected.
    """
    app = app_from(ctx)
    show = not state_from(ctx).quiet and sys.stderr.isatty()
    total = _data_lines(file) if show else 0
    with progress_bar(show) as bar:

        def progress(done: int) -> None:
            if bar is not None:
                bar("importing", done, total)

        summary = unwrap(
            import_transactions_file(
                app,
                file,
                progress=progress,
                mapping=unwrap(parse_mapping(mapping)),
                encoding=encoding,
                delimiter=forced_delimiter(delimiter),
                dry_run=dry_run,
                batch=batch_size,
            )
        )
    rejected = len({e.line for e in summary.errors})
    row = {
        "kind": "transactions",
        "rows": summary.valid + rejected,
        "created": summary.imported,
        "updated": 0,
        "unchanged": summary.duplicates,
        "merged": 0,
        "rejected": rejected,
        "dry_run": summary.dry_run,
        "encoding": summary.encoding,
        "delimiter": shown_delimiter(summary.delimiter),
        "contacts_created": summary.contacts_created,
    }
    render_one(row, (*SUMMARY_FIELDS, "contacts_created"), state_from(ctx).fmt)
    if summary.dry_run:
        note(ctx, f"dry run: {summary.valid} valid rows; nothing was stored")
    for error in summary.errors[:SHOWN_ERRORS]:
        click.echo(str(error), err=True)
    if len(summary.errors) > SHOWN_ERRORS:
        click.echo(f"... and {len(summary.errors) - SHOWN_ERRORS} more errors", err=True)
    if errors_path:
        write_rejected_rows(errors_path, summary)
        click.echo(f"rejected rows with reasons written to {errors_path}", err=True)
    elif summary.errors:
        click.echo("use --errors FILE to save every rejected row with its reason", err=True)
    if summary.errors:
        if summary.dry_run:
            stored = "nothing was stored (dry run)"
        elif summary.imported or summary.duplicates:
            stored = "the other rows are stored"
        else:
            stored = "no row was stored"
        raise CommandFailed(f"{rejected} rows rejected; {stored}", exit_code=EXIT_REJECTED_ROWS)
