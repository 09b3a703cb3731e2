"""Use case: the duplicate pairs of any CSV file, before it is imported."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.dedup.engine import Result as Found
from crmcore.app.dedup.engine import find_duplicates
from crmcore.app.dedup.settings import DedupSettings, load_settings
from crmcore.app.errors import AppError
from crmcore.app.importing.csvio import UnreadableFile, read_csv
from crmcore.domain.errors import FieldError, InvalidInput


@attrs.frozen(kw_only=True)
class FilePairs:
    """Duplicate pairs of a file: the ids of the two rows, by the id column."""

    ids: tuple[str, ...]
    found: Found


def _invalid(field: str, value: str, reason: str) -> Failure[InvalidInput]:
    return Failure(InvalidInput(errors=(FieldError(field=field, value=value, reason=reason),)))


def dedup_csv(
    path: str | Path,
    *,
    id_column: str,
    fields: Sequence[str] | None = None,
    threshold: float | None = None,
    settings_path: str | Path | None = None,
) -> Result[FilePairs, AppError]:
    """Pairs of rows of ``path`` that are likely one record, most likely first.

    ``fields`` defaults to every column but the id; ``threshold`` to the settings'
    review threshold.
    """
    settings = DedupSettings()
    if settings_path is not None:
        loaded = load_settings(settings_path)
        if isinstance(loaded, FieldError):
            return Failure(InvalidInput(errors=(loaded,)))
        settings = loaded
    try:
        data = read_csv(path)
    except UnreadableFile as exc:
        return _invalid("file", str(path), str(exc))
    header = list(data.header)
    if id_column not in header:
        return _invalid("id_column", id_column, f"not a column of the file ({', '.join(header)})")
    chosen = list(fields) if fields else [h for h in header if h != id_column]
    missing = [f for f in chosen if f not in header]
    if missing or not chosen:
        return _invalid("fields", ",".join(missing), "not columns of the file")
    cut = settings.thresholds.review if threshold is None else threshold
    if not 0.0 <= cut <= 1.0:
        return _invalid("threshold", str(cut), "a probability between 0 and 1 is needed")
    positions = [header.index(f) for f in chosen]
    id_at = header.index(id_column)
    width = len(header)
    rows = [tuple(r.cells) + ("",) * (width - len(r.cells)) for r in data.records]
    table = [tuple(row[p] for p in positions) for row in rows]
    kinds = {f: settings.kinds[f] for f in chosen if f in settings.kinds}
    model = settings.model(chosen)
    found = find_duplicates(table, chosen, threshold=cut, kinds=kinds, model=model)
    return Success(FilePairs(ids=tuple(row[id_at] for row in rows), found=found))
