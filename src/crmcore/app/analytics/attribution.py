"""Attribution reports: credits per channel from a paths file (ChannelAttribution layout)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import IO

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.errors import AppError
from crmcore.domain.attribution import (
    DEFAULT_HALF_LIFE,
    Credit,
    Model,
    PathRow,
    attribute,
    parse_path,
)
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.ports.analytics import AttributionEngine, PathsReader

#: The columns of a paths file; only ``path`` and ``total_conversions`` are required.
PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
#: How many bad rows one refusal lists.
MAX_ERRORS = 20


class ReferenceEngine:
    """The domain's plain-Python definition as an engine (small inputs, tests)."""

    def attribute(
        self, paths: Sequence[PathRow], model: Model, *, half_life: float = DEFAULT_HALF_LIFE
    ) -> list[Credit]:
        """See :meth:`crmcore.ports.analytics.AttributionEngine.attribute`."""
        return attribute(paths, model, half_life=half_life)


@attrs.frozen(kw_only=True)
class ModelCredits:
    """The credits of one model."""

    model: Model
    credits: tuple[Credit, ...]


def _number(raw: str, field: str, line: int, errors: list[FieldError]) -> float:
    if not raw or raw.isspace():
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < math.inf:
        errors.append(FieldError(field=f"line {line}: {field}", value=raw, reason="a number ≥ 0"))
        return 0.0
    return value


def _header_error(header: Sequence[str]) -> InvalidInput | None:
    missing = [c for c in PATH_COLUMNS[:2] if c not in header]
    if not missing:
        return None
    return InvalidInput(
        errors=(
            FieldError(
                field="header",
                value=",".join(header),
                reason=f"needs the columns {', '.join(PATH_COLUMNS)} (missing "
                f"{', '.join(missing)})",
            ),
        )
    )


def read_paths(source: IO[str]) -> Result[list[PathRow], AppError]:
    """The paths of a CSV with the columns of :data:`PATH_COLUMNS` (a header row first;
    ``total_conversion_value`` and ``total_null`` may be left out: 0)."""
    reader = csv.reader(source)
    header = [h.strip() for h in next(reader, [])]
    refused = _header_error(header)
    if refused is not None:
        return Failure(refused)
    where = [header.index(c) if c in header else None for c in PATH_COLUMNS]
    rows: list[PathRow] = []
    errors: list[FieldError] = []
    for line, record in enumerate(reader, start=2):
        if not record:
            continue
        cells = [record[i] if i is not None and i < len(record) else "" for i in where]
        channels = parse_path(cells[0])
        if channels is None:
            errors.append(
                FieldError(
                    field=f"line {line}: path",
                    value=cells[0],
                    reason="channels separated by '>', none empty",
                )
            )
        numbers = [_number(cells[k], PATH_COLUMNS[k], line, errors) for k in (1, 2, 3)]
        if channels is not None:
            rows.append(
                PathRow(
                    channels=channels, conversions=numbers[0], value=numbers[1], nulls=numbers[2]
                )
            )
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(rows)


def load_paths(
    text: str, *, reader: PathsReader | None = None
) -> Result[Sequence[PathRow], AppError]:
    """The paths of a paths file's text: by ``reader`` (bulk) when it takes the text,
    else by :func:`read_paths` (which also explains what is wrong with a bad file)."""
    if reader is not None:
        fast = reader.read(text)
        if fast is not None:
            return Success(fast)
    general: Result[Sequence[PathRow], AppError] = read_paths(io.StringIO(text))
    return general


def attribution(
    paths: Sequence[PathRow],
    models: Iterable[Model],
    *,
    engine: AttributionEngine | None = None,
    half_life: float = DEFAULT_HALF_LIFE,
) -> list[ModelCredits]:
    """The credits of each model over ``paths``."""
    chosen = engine or ReferenceEngine()
    return [
        ModelCredits(
            model=model, credits=tuple(chosen.attribute(paths, model, half_life=half_life))
        )
        for model in models
    ]
