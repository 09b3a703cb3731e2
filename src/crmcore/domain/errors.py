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
        options = ", ".join(map(_plain_move, self.allowed)) or "none (terminal state)"
        return (
            f"{self.machine}: cannot {_plain_move(self.move)} from {self.state}; allowed: {options}"
        )


def _plain_move(move: str) -> str:
    """``to:lead`` (a machine's jump) as words: ``move to lead``."""
    return f"move to {move.removeprefix('to:')}" if move.startswith("to:") else move


@attrs.frozen(kw_only=True)
class RuleViolation:
    """A business rule other than a transition refused the command."""

    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"
