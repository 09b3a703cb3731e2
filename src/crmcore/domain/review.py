"""The manual-review queue: what the pipeline cannot decide on its own.

An item is ``open`` until an operator resolves it (with a label or a contact) or
discards it; both are terminal.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs
from returns.result import Failure, Result

from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.events import Changed, DomainEvent, event_type
from crmcore.domain.ids import ContactId
from crmcore.domain.sentiment import SentimentLabel
from crmcore.domain.statemachine import Machine


class ReviewReason(StrEnum):
    """Why an event waits for a person."""

    LOW_CONFIDENCE = "low_confidence"
    AMBIGUOUS_MATCH = "ambiguous_match"
    BUSINESS_RULE = "business_rule"
    #: two stored contacts are likely one person (``crm dedup scan``)
    DUPLICATE = "duplicate"


class ReviewStatus(StrEnum):
    """Where a review item is."""

    OPEN = "open"
    RESOLVED = "resolved"
    DISCARDED = "discarded"


REVIEW_STATUS = Machine[ReviewStatus](
    "review item",
    {
        (ReviewStatus.OPEN, "resolve"): ReviewStatus.RESOLVED,
        (ReviewStatus.OPEN, "discard"): ReviewStatus.DISCARDED,
    },
)


@attrs.frozen(kw_only=True)
class Resolution:
    """What the operator decided: a label, a contact, or to drop the event."""

    label: SentimentLabel | None = None
    contact_id: ContactId | None = None
    discard: bool = False
    by: str | None = None
    note: str = ""

    def __attrs_post_init__(self) -> None:
        chosen = (self.label is not None) + (self.contact_id is not None) + self.discard
        if chosen != 1:
            raise ValueError("a resolution is exactly one of label, contact_id, discard")


@attrs.frozen(kw_only=True)
class ReviewItem:
    """An event waiting for a person, with the reason and the action we propose."""

    id: UUID
    event_id: str
    reason: ReviewReason
    detail: str
    proposed_action: str
    proposed_label: SentimentLabel | None = None
    confidence: float | None = None
    candidates: tuple[ContactId, ...] = ()
    status: ReviewStatus = ReviewStatus.OPEN
    resolution: Resolution | None = None
    created_at: datetime
    resolved_at: datetime | None = None
    version: int = 0

    def resolve(
        self, resolution: Resolution, *, at: datetime
    ) -> Result[Changed[ReviewItem], IllegalTransition | RuleViolation]:
        """Close the item with the operator's decision."""
        if not resolution.discard:
            problem = self._fits(resolution)
            if problem is not None:
                return Failure(RuleViolation(rule="review resolution", detail=problem))
        move = "discard" if resolution.discard else "resolve"
        fired: Result[ReviewStatus, IllegalTransition | RuleViolation] = REVIEW_STATUS.fire(
            self.status, move
        )
        return fired.map(
            lambda status: Changed(
                attrs.evolve(self, status=status, resolution=resolution, resolved_at=at),
                (
                    ReviewResolved(
                        item_id=self.id,
                        event_id=self.event_id,
                        outcome=move,
                        label=resolution.label.value if resolution.label else None,
                        contact_id=resolution.contact_id,
                        by=resolution.by,
                    ),
                ),
            )
        )

    def _fits(self, resolution: Resolution) -> str | None:
        if self.reason is ReviewReason.LOW_CONFIDENCE and resolution.label is None:
            return "a low-confidence item is resolved with --label or --discard"
        if self.reason is not ReviewReason.LOW_CONFIDENCE and resolution.contact_id is None:
            return f"a {self.reason} item is resolved with --match CONTACT or --discard"
        return None


def queued(item: ReviewItem) -> ReviewQueued:
    """The event announcing a new review item."""
    return ReviewQueued(
        item_id=item.id,
        event_id=item.event_id,
        reason=item.reason.value,
        proposed_action=item.proposed_action,
    )


@event_type("crm.review.queued")
@attrs.frozen(kw_only=True)
class ReviewQueued(DomainEvent):
    """An event went to the manual-review queue."""

    item_id: UUID
    event_id: str
    reason: str
    proposed_action: str


@event_type("crm.review.resolved")
@attrs.frozen(kw_only=True)
class ReviewResolved(DomainEvent):
    """An operator resolved or discarded a review item."""

    item_id: UUID
    event_id: str
    outcome: str
    label: str | None = None
    contact_id: ContactId | None = None
    by: str | None = None


__all__ = [
    "REVIEW_STATUS",
    "DomainEvent",
    "Resolution",
    "ReviewItem",
    "ReviewQueued",
    "ReviewReason",
    "ReviewResolved",
    "ReviewStatus",
    "queued",
]
