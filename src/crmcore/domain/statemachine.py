"""State machines as data: a transition table and one pure function to fire a move."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)


@attrs.frozen
class Machine(Generic[S]):
    """A named transition table ``{(state, move): next_state}``."""

    name: str
    table: Mapping[tuple[S, str], S]

    def allowed(self, state: S) -> tuple[str, ...]:
        """The moves the table accepts from ``state``, in table order."""
        return tuple(move for (src, move) in self.table if src == state)

    def is_terminal(self, state: S) -> bool:
        """True when no move leaves ``state``."""
        return not self.allowed(state)

    def fire(self, state: S, move: str) -> Result[S, IllegalTransition]:
        """The state after ``move``, or a failure listing the allowed moves."""
        target = self.table.get((state, move))
        if target is None:
            return Failure(
                IllegalTransition(
                    machine=self.name,
                    state=str(state),
                    move=move,
                    allowed=self.allowed(state),
                )
            )
        return Success(target)
