"""Business failures the domain reports as values, never as exceptions."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class FieldError:
    """One field of one input that is not acceptable, and why."""

    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason} (got {self.value!r})"


@attrs.frozen(kw_only=True)
class InvalidInput:
    """Every field error of one command, reported together."""

    errors: tuple[FieldError, ...]

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


@attrs.frozen(kw_only=True)
class IllegalTransition:
    """A state machine refused a move; ``allowed`` lists the moves it would take."""

    machine: str
    state: str
    move: str
    allowed: tuple[str, ...]

    def __str__(self) -> str:
        options = ", ".join(self.allowed) if self.allowed else "none (terminal state)"
        return f"{self.machine}: cannot {self.move} from {self.state}; allowed: {options}"


@attrs.frozen(kw_only=True)
class RuleViolation:
    """A business rule other than a transition refused the command."""

    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"
