"""Settings and wired ports of the event pipeline, carried by :class:`~crmcore.app.context.App`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

import attrs

from crmcore.domain.inbox import InboxRetryPolicy
from crmcore.ports.event_processing import CustomerInsight, EventUnitOfWork, SentimentAnalyser

DEFAULT_REVIEW_THRESHOLD = 0.6


@attrs.frozen(kw_only=True)
class EventSettings:
    """Review threshold and retry policy, from ``CRMCORE_REVIEW_THRESHOLD`` and friends."""

    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    retry: InboxRetryPolicy = InboxRetryPolicy()

    @classmethod
    def from_env(cls) -> EventSettings:
        """Defaults overridden by environment variables."""
        threshold = float(os.environ.get("CRMCORE_REVIEW_THRESHOLD", DEFAULT_REVIEW_THRESHOLD))
        attempts = int(os.environ.get("CRMCORE_MAX_ATTEMPTS", InboxRetryPolicy().max_attempts))
        base = float(os.environ.get("CRMCORE_RETRY_BASE_SECONDS", 10))
        lease = float(
            os.environ.get("CRMCORE_LEASE_SECONDS", InboxRetryPolicy().lease.total_seconds())
        )
        return cls(
            review_threshold=threshold,
            retry=InboxRetryPolicy(
                max_attempts=attempts,
                base=timedelta(seconds=base),
                lease=timedelta(seconds=max(lease, 1.0)),
            ),
        )


@attrs.frozen(kw_only=True)
class EventServices:
    """What the pipeline use cases need beyond the plain application."""

    uow: Callable[[], EventUnitOfWork]
    sentiment: SentimentAnalyser
    insight: CustomerInsight
    settings: EventSettings = EventSettings()
    jitter: Callable[[], float]
    #: One writer at a time (SQLite, memory): the worker takes, applies and finishes a
    #: batch in one transaction (``Inbox.take_due``) instead of claiming it first.
    single_writer: bool = False
