"""Output for every ``crm`` command: a rich table, JSON or CSV with stable field names.

``render(rows, fields, fmt)`` prints ``rows`` (mappings) restricted to ``fields`` in that
order. JSON is a list of objects (``render_one``: one object); numbers that must stay exact
(Decimal) are strings, times are ISO-8601, missing values are ``null``. CSV has a header row;
a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
``'`` so spreadsheets do not run it as a formula (plain numbers such as ``-5`` or
``+79001234567`` are left alone: they cannot be formulas).
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from crmcore.app.importing.csvio import csv_text

Row = Mapping[str, Any]


def plain(value: Any) -> Any:
    """A JSON-ready value: exact decimals and ids as strings, times as ISO-8601."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def text(value: Any) -> str:
    """A cell as text (empty for missing values)."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def cell(value: Any) -> str:
    """A table cell for reading: exact amounts with separators and at least two places
    (``1,000.00``, never ``1E+3``), floats to four significant digits (two places from
    1,000 up). JSON and CSV keep the full value."""
    if isinstance(value, Decimal) and value.is_finite():
        places = max(2, -int(value.as_tuple().exponent))
        return f"{value:,.{places}f}"
    if isinstance(value, float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    return text(value)


def to_csv(rows: Sequence[Row], fields: Sequence[str]) -> str:
    """CSV text with a header row and neutralised cells."""
    return csv_text(fields, ([text(row.get(f)) for f in fields] for row in rows))


def to_json(rows: Sequence[Row], fields: Sequence[str]) -> str:
    """A JSON list of objects with exactly ``fields``."""
    data = [{f: plain(row.get(f)) for f in fields} for row in rows]
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_table(rows: Sequence[Row], fields: Sequence[str], *, title: str | None = None) -> str:
    """A rich table rendered to text."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for field in fields:
        table.add_column(field, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(f)) for f in fields))
    return _rich(table)


def _rich(renderable: Any) -> str:
    buffer = io.StringIO()
    width = terminal_width()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    console.print(renderable)
    return buffer.getvalue()


def render(
    rows: Sequence[Row], fields: Sequence[str], fmt: str, *, title: str | None = None
) -> None:
    """Print ``rows`` as ``fmt`` (``table``, ``json`` or ``csv``) on stdout."""
    if fmt == "json":
        click.echo(to_json(rows, fields))
    elif fmt == "csv":
        click.echo(to_csv(rows, fields), nl=False)
    else:
        if not rows:
            click.echo(f"{title + ': ' if title else ''}nothing to show")
            return
        click.echo(to_table(rows, fields, title=title), nl=False)


def terminal_width() -> int:
    """Columns of the terminal stdout is on; 250 when it is not a terminal."""
    return shutil.get_terminal_size((250, 24)).columns if sys.stdout.isatty() else 250


def fit_columns(
    rows: Sequence[Row], fields: Sequence[str], priority: Sequence[str], width: int
) -> list[str]:
    """The fields, most important first, whose widest cells fit ``width`` side by side
    (in ``fields`` order), so a table never wraps each cell to a few characters."""
    needed = {f: max([len(f), *(len(cell(row.get(f))) for row in rows)]) + 3 for f in fields}
    chosen: set[str] = set()
    used = 1
    for field in [*priority, *(f for f in fields if f not in priority)]:
        if field in fields and field not in chosen and used + needed[field] <= width:
            chosen.add(field)
            used += needed[field]
    return [f for f in fields if f in chosen] or list(fields[:1])


def parse_columns(raw: str | None, fields: Sequence[str]) -> list[str] | None:
    """``--columns a,b``: the chosen fields in the given order (unknown ones refused)."""
    if raw is None:
        return None
    chosen = [c.strip() for c in raw.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in fields]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'none given'}; choose from {', '.join(fields)}",
            param_hint="--columns",
        )
    return chosen


def render_one(row: Row, fields: Sequence[str], fmt: str) -> None:
    """Print one record: a JSON object, a one-row CSV, or a two-column table."""
    if fmt == "json":
        click.echo(json.dumps({f: plain(row.get(f)) for f in fields}, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(to_csv([row], fields), nl=False)
    else:
        table = Table(show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for field in fields:
            table.add_row(field, cell(row.get(field)))
        click.echo(_rich(table), nl=False)
