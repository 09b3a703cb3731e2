"""Segments: a named filter over customers, with its member count and last refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType
from uuid import UUID

import attrs

from crmcore.domain.events import DomainEvent, event_type

SegmentId = NewType("SegmentId", UUID)


@attrs.frozen(kw_only=True)
class Segment:
    """A saved filter (its JSON form, as the source stores it) and what it last matched."""

    id: SegmentId
    name: str
    filter: dict[str, Any]
    member_count: int = 0
    refreshed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 0

    def refreshed(self, count: int, *, at: datetime) -> Segment:
        """The segment after a rebuild that found ``count`` members."""
        return attrs.evolve(self, member_count=count, refreshed_at=at, updated_at=at)


@event_type("crm.segment.created")
@attrs.frozen(kw_only=True)
class SegmentCreated(DomainEvent):
    """A segment was defined."""

    segment_id: SegmentId
    name: str


@event_type("crm.segment.refreshed")
@attrs.frozen(kw_only=True)
class SegmentRefreshed(DomainEvent):
    """A segment's members were recomputed."""

    segment_id: SegmentId
    name: str
    member_count: int
