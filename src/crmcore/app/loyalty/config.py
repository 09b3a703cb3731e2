"""Loading the loyalty board configuration (TOML) with errors that name level and field."""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.loyalty import BoardConfig, parse_board

#: Environment variable naming a board TOML file that replaces the default template.
BOARD_ENV = "CRMCORE_BOARD"


def parse_board_toml(text: str, *, source: str = "board") -> Result[BoardConfig, InvalidInput]:
    """A board from TOML text; syntax errors name the line, others the level and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Failure(
            InvalidInput(errors=(FieldError(field=source, value="", reason=f"bad TOML: {exc}"),))
        )
    parsed = parse_board(data)
    if isinstance(parsed, Failure):
        errors = tuple(
            FieldError(field=f"{source}: {e.field}", value=e.value, reason=e.reason)
            for e in parsed.failure().errors
        )
        return Failure(InvalidInput(errors=errors))
    return parsed


def load_board(path: str | Path | None = None) -> Result[BoardConfig, InvalidInput]:
    """The board in ``path``, else in ``$CRMCORE_BOARD``, else the default template."""
    chosen = path if path is not None else os.environ.get(BOARD_ENV) or None
    if chosen is None:
        return Success(default_board())
    try:
        text = Path(chosen).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Failure(
            InvalidInput(errors=(FieldError(field="board", value=str(chosen), reason=str(exc)),))
        )
    return parse_board_toml(text, source=str(chosen))


def default_template() -> str:
    """The TOML text of the default seven-level ladder shipped in the package."""
    return resources.files("crmcore.app.loyalty").joinpath("default.toml").read_text("utf-8")


@cache
def default_board() -> BoardConfig:
    """The default seven-level ladder (PRODUCT.md C8)."""
    parsed = parse_board_toml(default_template(), source="default.toml")
    if isinstance(parsed, Failure):  # pragma: no cover - the shipped template is tested
        raise RuntimeError(str(parsed.failure()))
    return parsed.unwrap()
