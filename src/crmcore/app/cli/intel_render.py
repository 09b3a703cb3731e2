"""Rendering rows as an aligned table, JSON or CSV for the intelligence commands."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from crmcore.app.cli.render import cell
from crmcore.app.importing.csvio import csv_text


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> str:
    """``rows`` as text in ``fmt`` (table, json or csv), columns in the given order."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2, default=str)
    if fmt == "csv":
        return csv_text(columns, ([row.get(c) for c in columns] for row in rows)).rstrip("\n")
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])
