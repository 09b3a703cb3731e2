"""``crm import contacts|leads|accounts|deals FILE.csv``.

``crm import transactions`` lives in :mod:`crmcore.app.cli.intel_import`; main.py adds it
to this group (``SUBCOMMANDS``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from crmcore.app.cli.context import CommandFailed, app_from, note, state_from, unwrap
from crmcore.app.cli.progress import progress_bar
from crmcore.app.cli.render import render_one
from crmcore.app.cli.views import record
from crmcore.app.importing.files import (
    BATCH_SIZE,
    PARALLEL_MIN_ROWS,
    WORKERS,
    ImportReport,
    Kind,
    import_file,
    parse_mapping,
    write_rejected,
)
from crmcore.app.importing.pool import START_METHODS

#: Rejected rows listed on stderr; the rest are counted (all go to --errors).
SHOWN_REJECTIONS = 20
EXIT_REJECTED_ROWS = 3

SUMMARY_FIELDS = (
    "kind",
    "rows",
    "created",
    "updated",
    "unchanged",
    "merged",
    "rejected",
    "dry_run",
    "encoding",
    "delimiter",
)


@click.group("import")
def import_group() -> None:
    """Import CSV files (idempotent: re-running a file changes nothing)."""


def summary_row(report: ImportReport) -> dict[str, Any]:
    """The documented summary record of an import."""
    return record(
        report,
        SUMMARY_FIELDS,
        rejected=len(report.rejected),
        delimiter=shown_delimiter(report.delimiter),
    )


def _report_rejections(report: ImportReport, errors_path: str | None) -> None:
    for row in report.rejected[:SHOWN_REJECTIONS]:
        reasons = "; ".join(f"{e.field}: {e.reason} (got {e.value!r})" for e in row.errors)
        click.echo(f"line {row.line}: {reasons}", err=True)
    more = len(report.rejected) - SHOWN_REJECTIONS
    if more > 0:
        click.echo(f"... and {more} more rejected rows", err=True)
    if errors_path:
        click.echo(f"rejected rows with reasons written to {errors_path}", err=True)
    elif report.rejected:
        click.echo("use --errors FILE to save every rejected row with its reason", err=True)


F = TypeVar("F", bound=Callable[..., Any])


def file_options(command: F) -> F:
    """What every importer takes about its file: ``--encoding``, ``--delimiter``,
    ``--dry-run`` and ``--errors FILE``."""
    for option in reversed(
        [
            click.option(
                "--encoding", default=None, help="Force an encoding (detected otherwise)."
            ),
            click.option(
                "--delimiter", default=None, help="Force a delimiter (sniffed otherwise)."
            ),
            click.option("--dry-run", is_flag=True, help="Validate and count; store nothing."),
            click.option(
                "--errors",
                "errors_path",
                type=click.Path(dir_okay=False, writable=True),
                default=None,
                help="Write rejected rows (original cells + line, field, value, reason) here.",
            ),
        ]
    ):
        command = option(command)
    return command


def forced_delimiter(value: str | None) -> str | None:
    """``--delimiter`` as given, with ``tab`` (or ``\\t``) for a tab character."""
    return {"tab": "\t", "\\t": "\t"}.get(value or "", value)


def shown_delimiter(sep: str) -> str:
    """A delimiter as a summary shows it (a tab as ``tab``)."""
    return {"\t": "tab"}.get(sep, sep)


def _make_importer(kind: Kind) -> click.Command:
    @click.command(kind.value)
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option(
        "--map",
        "mapping",
        multiple=True,
        metavar="COLUMN=FIELD",
        help="Map a column to a field ('Column=' ignores it). Repeatable.",
    )
    @click.option("--region", default=None, help="Default phone region [settings, RU].")
    @file_options
    @click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=BATCH_SIZE,
        show_default=True,
        help="Rows stored per transaction (each batch is committed on its own).",
    )
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=WORKERS,
        show_default=True,
        help=f"Processes validating files of {PARALLEL_MIN_ROWS:,}+ rows (1: none).",
    )
    @click.option(
        "--start-method",
        type=click.Choice(START_METHODS),
        default=None,
        help="How worker processes start [fork where available, else spawn].",
    )
    @click.pass_context
    def importer(
        ctx: click.Context,
        file: str,
        mapping: tuple[str, ...],
        region: str | None,
        encoding: str | None,
        delimiter: str | None,
        dry_run: bool,
        errors_path: str | None,
        batch_size: int,
        workers: int,
        start_method: str | None,
    ) -> None:
        state = state_from(ctx)
        columns = unwrap(parse_mapping(mapping))
        sep = forced_delimiter(delimiter)
        show_bar = not state.quiet and sys.stderr.isatty()
        with progress_bar(show_bar) as progress:
            report = unwrap(
                import_file(
                    app_from(ctx),
                    kind=kind.value,
                    path=file,
                    mapping=columns,
                    region=region,
                    encoding=encoding,
                    delimiter=sep,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    progress=progress,
                    workers=workers,
                    start_method=start_method,
                )
            )
        if report.extras:
            note(ctx, f"kept unmapped columns in attributes/metadata: {', '.join(report.extras)}")
        if errors_path:
            write_rejected(errors_path, report)
        render_one(summary_row(report), SUMMARY_FIELDS, state.fmt)
        if report.rejected:
            _report_rejections(report, errors_path)
            if dry_run:
                stored = ""
            elif report.rows > len(report.rejected):
                stored = "; the other rows were stored"
            else:
                stored = "; no row was stored"
            raise CommandFailed(
                f"{len(report.rejected)} of {report.rows} rows rejected{stored}",
                exit_code=EXIT_REJECTED_ROWS,
            )

    importer.help = (
        f"Import {kind.value} from a CSV file (UTF-8, UTF-8 with BOM or cp1251; "
        f"',' ';' tab or '|' separated). Fields: {', '.join(_fields(kind))}."
    )
    return importer


def _fields(kind: Kind) -> tuple[str, ...]:
    from crmcore.app.importing.files import FIELDS

    return FIELDS[kind]


for _kind in Kind:
    import_group.add_command(_make_importer(_kind))
