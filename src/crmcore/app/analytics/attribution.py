"""Attribution reports: credits per channel from a paths file (ChannelAttribution layout)."""

from __future__ import annotations

import csv
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
from crmcore.ports.analytics import AttributionEngine

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


def _number(raw: str | None, field: str, line: int, errors: list[FieldError]) -> float:
    if raw is None or not raw.strip():
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        errors.append(FieldError(field=f"line {line}: {field}", value=raw, reason="a number ≥ 0"))
        return 0.0
    return value


def read_paths(source: IO[str]) -> Result[list[PathRow], AppError]:
    """The paths of a CSV with the columns of :data:`PATH_COLUMNS` (a header row first)."""
    reader = csv.DictReader(source)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in PATH_COLUMNS[:2] if c not in header]
    if missing:
        return Failure(
            InvalidInput(
                errors=(
                    FieldError(
                        field="header",
                        value=",".join(header),
                        reason=f"needs the columns {', '.join(PATH_COLUMNS)} (missing "
                        f"{', '.join(missing)})",
                    ),
                )
            )
        )
    reader.fieldnames = header
    rows: list[PathRow] = []
    errors: list[FieldError] = []
    for line, record in enumerate(reader, start=2):
        channels = parse_path(record.get("path") or "")
        if channels is None:
            errors.append(
                FieldError(
                    field=f"line {line}: path",
                    value=record.get("path") or "",
                    reason="channels separated by '>', none empty",
                )
            )
        conversions = _number(record.get("total_conversions"), "total_conversions", line, errors)
        value = _number(
            record.get("total_conversion_value"), "total_conversion_value", line, errors
        )
        nulls = _number(record.get("total_null"), "total_null", line, errors)
        if channels is not None:
            rows.append(
                PathRow(channels=channels, conversions=conversions, value=value, nulls=nulls)
            )
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(rows)


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
