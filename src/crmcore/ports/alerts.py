"""The alert log port (C11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from crmcore.domain.alerts import Alert


class AlertLog(Protocol):
    """Raised alerts: open ones until their condition clears, and the history."""

    def open(self) -> Sequence[Alert]:
        """The open alerts, oldest first."""
        ...

    def add_many(self, alerts: Sequence[Alert]) -> None:
        """Store newly raised alerts."""
        ...

    def close_many(self, alerts: Sequence[Alert]) -> None:
        """Store the clearing time of alerts read from :meth:`open`."""
        ...

    def list(self, *, include_cleared: bool = False, limit: int = 100) -> Sequence[Alert]:
        """The newest alerts first (open ones only unless ``include_cleared``)."""
        ...
