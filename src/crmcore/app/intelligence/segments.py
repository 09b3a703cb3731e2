"""Segment use cases: the RFM report and members, and saved filter segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict, NotFound
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.filters import parse_filter
from crmcore.domain.ids import ContactId
from crmcore.domain.rfm import (
    CustomerRfm,
    RfmScores,
    RfmSegment,
    quintile_scores,
)
from crmcore.domain.segment import Segment, SegmentCreated, SegmentId, SegmentRefreshed
from crmcore.ports.uow import UnitOfWork


@attrs.frozen(kw_only=True)
class RfmReport:
    """Customers per RFM segment at ``as_of`` (all eight, in table order), and the split."""

    as_of: date
    segments: tuple[tuple[RfmSegment, int], ...]
    active: int
    sleeping: int

    @property
    def customers(self) -> int:
        """Customers with at least one transaction on or before ``as_of``."""
        return self.active + self.sleeping


@attrs.frozen(kw_only=True)
class RfmMember:
    """One customer of an RFM segment, with the values that put them there."""

    contact_id: ContactId
    user_id: str | None
    frequency: int
    recency: int
    monetary: str
    scores: RfmScores


def rfm_report(app: App, *, as_of: date) -> Result[RfmReport, AppError]:
    """Count customers per RFM segment at ``as_of``."""

    def work(uow: UnitOfWork) -> Result[RfmReport, AppError]:
        counts = uow.transactions.rfm_counts(as_of=as_of)
        return Success(
            RfmReport(
                as_of=as_of,
                segments=tuple(counts.segments.items()),
                active=counts.active,
                sleeping=counts.sleeping,
            )
        )

    return transact(app, work)


def parse_segment_name(raw: str) -> Result[RfmSegment, InvalidInput]:
    """An RFM segment by its value (``at_risk``) or its label (``At risk``)."""
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Success(RfmSegment(key))
    except ValueError:
        allowed = ", ".join(s.value for s in RfmSegment)
        return Failure(
            InvalidInput(
                errors=(FieldError(field="segment", value=raw, reason=f"must be one of {allowed}"),)
            )
        )


def rfm_members(app: App, *, as_of: date, segment: RfmSegment) -> Result[list[RfmMember], AppError]:
    """The customers of one RFM segment at ``as_of``, with quintile scores."""

    def work(uow: UnitOfWork) -> Result[list[RfmMember], AppError]:
        rows: Sequence[CustomerRfm[ContactId]] = uow.transactions.rfm(as_of=as_of)
        scores = quintile_scores(rows)
        members = []
        for row in rows:
            if row.segment is not segment:
                continue
            contact = uow.contacts.get(row.customer)
            members.append(
                RfmMember(
                    contact_id=row.customer,
                    user_id=contact.user_id if contact else None,
                    frequency=row.frequency,
                    recency=row.recency,
                    monetary=str(row.monetary),
                    scores=scores[row.customer],
                )
            )
        return Success(members)

    return transact(app, work)


def _invalid(field: str, value: str, reason: str) -> InvalidInput:
    return InvalidInput(errors=(FieldError(field=field, value=value, reason=reason),))


def create_segment(
    app: App, *, name: str, filter_json: Mapping[str, Any]
) -> Result[Segment, AppError]:
    """Validate the filter, store the segment and count its members now."""
    clean = " ".join(name.split())
    if not clean or len(clean) > 100:
        return Failure(_invalid("name", name, "must be 1-100 characters"))
    parsed = parse_filter(filter_json)
    if isinstance(parsed, Failure):
        return Failure(parsed.failure())
    node = parsed.unwrap()

    def work(uow: UnitOfWork) -> Result[Segment, AppError]:
        if uow.segments.get_by_name(clean) is not None:
            return Failure(Conflict(detail=f"a segment named {clean!r} exists"))
        now = app.clock.now()
        members = uow.audience.members(node, now=now)
        segment = Segment(
            id=SegmentId(app.ids.new()),
            name=clean,
            filter=dict(filter_json),
            member_count=len(members),
            refreshed_at=now,
            created_at=now,
            updated_at=now,
        )
        uow.segments.add(segment)
        uow.record(SegmentCreated(segment_id=segment.id, name=clean))
        return Success(segment)

    return transact(app, work)


def list_segments(app: App) -> Result[list[Segment], AppError]:
    """Every segment with its stored member count and last refresh, by name."""
    return transact(app, lambda uow: Success(list(uow.segments.list())))


def get_segment(app: App, *, name: str) -> Result[Segment, AppError]:
    """One segment by name."""

    def work(uow: UnitOfWork) -> Result[Segment, AppError]:
        segment = uow.segments.get_by_name(name)
        if segment is None:
            return Failure(NotFound(kind="segment", key=name))
        return Success(segment)

    return transact(app, work)


@attrs.frozen(kw_only=True)
class SegmentMember:
    """A contact in a segment."""

    contact_id: ContactId
    user_id: str | None
    email: str | None
    name: str


def segment_members(
    app: App, *, name: str
) -> Result[tuple[Segment, list[SegmentMember]], AppError]:
    """Recompute a segment's members now, keep the new count and refresh time."""

    def work(uow: UnitOfWork) -> Result[tuple[Segment, list[SegmentMember]], AppError]:
        segment = uow.segments.get_by_name(name)
        if segment is None:
            return Failure(NotFound(kind="segment", key=name))
        parsed = parse_filter(segment.filter)
        if isinstance(parsed, Failure):
            return Failure(parsed.failure())
        now = app.clock.now()
        ids = uow.audience.members(parsed.unwrap(), now=now)
        members = []
        for contact_id in ids:
            contact = uow.contacts.get(contact_id)
            if contact is None:
                continue
            members.append(
                SegmentMember(
                    contact_id=contact_id,
                    user_id=contact.user_id,
                    email=str(contact.email) if contact.email else None,
                    name=contact.name.full,
                )
            )
        refreshed = segment.refreshed(len(members), at=now)
        uow.segments.save(refreshed)
        uow.record(
            SegmentRefreshed(segment_id=segment.id, name=segment.name, member_count=len(members))
        )
        return Success((refreshed, members))

    return transact(app, work)
