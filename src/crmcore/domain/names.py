"""Person names: trimmed, inner whitespace collapsed, length bounded."""

from __future__ import annotations

import re

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError

MAX_NAME = 100
_CONTROL = re.compile(r"[\x00-\x1f]")


def _clean(text: str) -> str:
    return " ".join(text.split())


def clean_name(first: str, last: str = "") -> tuple[str, str] | FieldError:
    """``(first, last)`` with whitespace normalised, or the first problem found."""
    first_c, last_c = _clean(first or ""), _clean(last or "")
    for field, value in (("first_name", first_c), ("last_name", last_c)):
        if len(value) > MAX_NAME:
            return FieldError(field=field, value=value[:20] + "…", reason=f"longer than {MAX_NAME}")
        if _CONTROL.search(value):
            return FieldError(field=field, value=value, reason="control characters")
    if not first_c and not last_c:
        return FieldError(field="first_name", value="", reason="a name is required")
    return first_c, last_c


@attrs.frozen
class PersonName:
    """First and last name; at least one of them is present."""

    first: str
    last: str

    @classmethod
    def parse(cls, first: str, last: str = "") -> Result[PersonName, FieldError]:
        """Normalise whitespace and check both parts."""
        checked = clean_name(first, last)
        if isinstance(checked, FieldError):
            return Failure(checked)
        return Success(cls(*checked))

    @property
    def full(self) -> str:
        """``first last`` without stray spaces."""
        return f"{self.first} {self.last}".strip()

    def __str__(self) -> str:
        return self.full
