"""The alert log port (C11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crmcore.domain.alerts import Alert, Measurement


class AlertLog(Protocol):
    """Raised alerts: open ones until their condition clears, and the history."""

    def open(self) -> Sequence[Alert]:
        """The open alerts, oldest first."""
        ...

    def add_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        """Store newly raised alerts unless their key already has an open alert (another
        check raised it meanwhile); returns those stored. At most one alert per key is
        ever open: a race this call cannot see fails the commit with ``DuplicateKey``."""
        ...

    def close_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        """Store the clearing time of alerts read from :meth:`open`; returns those it
        closed (one another check closed meanwhile is left as that check closed it)."""
        ...

    def list(self, *, include_cleared: bool = False, limit: int = 100) -> Sequence[Alert]:
        """The newest alerts first (open ones only unless ``include_cleared``)."""
        ...


class MeasurementLog(Protocol):
    """Samples of the alert inputs measured where they happen (send outcomes, scoring
    latency)."""

    def record_many(self, samples: Sequence[Measurement]) -> None:
        """Keep samples."""
        ...

    def latest(self, name: str, *, since: datetime) -> Measurement | None:
        """The newest sample of ``name`` taken at or after ``since``, if any."""
        ...

    def prune(self, *, before: datetime) -> int:
        """Forget the samples taken before ``before``; returns how many."""
        ...
