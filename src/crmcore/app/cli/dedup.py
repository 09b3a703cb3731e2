"""``crm dedup``: find records that are one person (ADR 0017)."""

from __future__ import annotations

from typing import Any

import click

from crmcore.app.cli.context import CommandFailed, app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.dedup.csvfile import dedup_csv
from crmcore.app.dedup.scan import scan_accounts, scan_contacts
from crmcore.app.dedup.settings import load_settings
from crmcore.domain.errors import FieldError, InvalidInput

_THRESHOLD_HELP = "Lowest match probability reported [default: the review threshold, 0.5]."


@click.group("dedup")
def dedup() -> None:
    """Duplicate detection: in a CSV file before import, or over stored contacts."""


def _split(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [f.strip() for f in raw.split(",") if f.strip()]


@dedup.command("csv")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--id-column", required=True, metavar="COL", help="The column that names a row.")
@click.option(
    "--fields", default=None, metavar="A,B,C", help="Columns to compare [default: all but the id]."
)
@click.option("--threshold", type=float, default=None, metavar="P", help=_THRESHOLD_HELP)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="TOML",
    help="Field kinds, a fixed m/u model and thresholds (docs/cli.md).",
)
@click.pass_context
def csv_cmd(
    ctx: click.Context,
    file: str,
    id_column: str,
    fields: str | None,
    threshold: float | None,
    settings_path: str | None,
) -> None:
    """Pairs of rows of FILE that are likely one record: id_1, id_2, probability and each
    compared field's level (0 = different, highest = equal, empty = a value missing)."""
    fmt = state_from(ctx).fmt
    result = unwrap(
        dedup_csv(
            file,
            id_column=id_column,
            fields=_split(fields),
            threshold=threshold,
            settings_path=settings_path,
        )
    )
    found = result.found
    names = [f.name for f in found.fields]
    rows: list[dict[str, Any]] = []
    for pair in found.pairs:
        row: dict[str, Any] = {
            "id_1": result.ids[pair.left],
            "id_2": result.ids[pair.right],
            "probability": round(pair.probability, 6),
        }
        for name, level in zip(names, pair.levels, strict=True):
            row[name] = None if level < 0 else level
        if fmt == "json":
            row["explanation"] = {
                c.field: {"level": None if c.level < 0 else c.level, "weight": round(c.weight, 3)}
                for c in found.model.explain(pair.levels)
            }
        rows.append(row)
    columns = ["id_1", "id_2", "probability", *names]
    if fmt == "json":
        columns.append("explanation")
    render(rows, columns, fmt, title="duplicate pairs")


@dedup.command("scan")
@click.option("--threshold", type=float, default=None, metavar="P", help=_THRESHOLD_HELP)
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="TOML",
    help="Field kinds, a fixed m/u model and thresholds (docs/cli.md).",
)
@click.option(
    "--auto-merge",
    is_flag=True,
    help="Merge pairs at or above the merge threshold (0.99) instead of queueing them.",
)
@click.option(
    "--accounts",
    is_flag=True,
    help="Compare the stored accounts (name, website domain, phone, city) instead of contacts.",
)
@click.pass_context
def scan_cmd(
    ctx: click.Context,
    threshold: float | None,
    settings_path: str | None,
    auto_merge: bool,
    accounts: bool,
) -> None:
    """Compare the stored contacts (names, e-mail, phone, attributes city and birth_date),
    or with --accounts the accounts, and queue each likely duplicate pair for review
    (crm review list --reason duplicate)."""
    settings = None
    if settings_path is not None:
        loaded = load_settings(settings_path)
        if isinstance(loaded, FieldError):
            raise CommandFailed(InvalidInput(errors=(loaded,)))
        settings = loaded
    scan = scan_accounts if accounts else scan_contacts
    report = unwrap(
        scan(app_from(ctx), threshold=threshold, settings=settings, auto_merge=auto_merge)
    )
    fields = ["contacts", "candidates", "pairs", "queued", "already", "auto_merge", "merged"]
    row = {f: getattr(report, f) for f in fields}
    if accounts:
        row = {"accounts": row.pop("contacts"), **row}
        fields = ["accounts", *fields[1:]]
    render_one(row, fields, state_from(ctx).fmt)
