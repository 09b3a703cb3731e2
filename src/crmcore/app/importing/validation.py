"""Collect every field error of a command before anything changes."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from returns.result import Failure, Result

from crmcore.domain.errors import FieldError, InvalidInput

T = TypeVar("T")
S = TypeVar("S", bound=StrEnum)


class Collector:
    """Accumulates field errors; ``take`` returns the value or ``None`` and keeps the error."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def take(self, result: Result[T, FieldError]) -> T | None:
        """The success value, or ``None`` after recording the failure."""
        if isinstance(result, Failure):
            self.errors.append(result.failure())
            return None
        return result.unwrap()

    def optional(self, raw: str | None, parse: Callable[[str], Result[T, FieldError]]) -> T | None:
        """Parse ``raw`` when it is given and not blank."""
        if raw is None or not raw.strip():
            return None
        return self.take(parse(raw))

    def choice(self, field: str, raw: str | None, enum: type[S]) -> S | None:
        """One of an enum's values, or an error listing them."""
        if raw is None:
            return None
        try:
            return enum(raw.strip().lower())
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            self.errors.append(
                FieldError(field=field, value=raw, reason=f"must be one of {allowed}")
            )
            return None

    def fail(self, field: str, value: str, reason: str) -> None:
        """Record a check made by the caller."""
        self.errors.append(FieldError(field=field, value=value, reason=reason))

    def failure(self) -> InvalidInput | None:
        """All collected errors, or ``None`` when the command is valid."""
        return InvalidInput(errors=tuple(self.errors)) if self.errors else None
