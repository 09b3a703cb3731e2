"""The review item state machine, checked against an independent model."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from returns.result import Failure, Success

from crmcore.domain.ids import ContactId
from crmcore.domain.review import Resolution, ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import SentimentLabel

AT = datetime(2026, 1, 5, tzinfo=UTC)


class ReviewItemMachine(RuleBasedStateMachine):
    """Model: an item is closed by its first valid resolution and never reopens."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ReviewReason.LOW_CONFIDENCE
        self.item = ReviewItem(
            id=UUID(int=1), event_id="e", reason=self.reason, detail="", proposed_action="",
            created_at=AT,
        )  # fmt: skip
        self.closed_as: str | None = None
        self.first_resolution: Resolution | None = None

    @rule(reason=st.sampled_from(list(ReviewReason)))
    def new_item(self, reason: ReviewReason) -> None:
        self.reason = reason
        self.item = ReviewItem(
            id=UUID(int=2), event_id="e", reason=reason, detail="", proposed_action="",
            created_at=AT,
        )  # fmt: skip
        self.closed_as = None
        self.first_resolution = None

    @rule(label=st.sampled_from(list(SentimentLabel)))
    def resolve_with_label(self, label: SentimentLabel) -> None:
        self._try(Resolution(label=label), fits=self.reason == ReviewReason.LOW_CONFIDENCE)

    @rule()
    def resolve_with_contact(self) -> None:
        self._try(
            Resolution(contact_id=ContactId(UUID(int=9))),
            fits=self.reason != ReviewReason.LOW_CONFIDENCE,
        )

    @rule()
    def discard(self) -> None:
        self._try(Resolution(discard=True), fits=True)

    def _try(self, resolution: Resolution, *, fits: bool) -> None:
        result = self.item.resolve(resolution, at=AT)
        if self.closed_as is None and fits:
            assert isinstance(result, Success)
            self.item = result.unwrap().entity
            self.closed_as = "discarded" if resolution.discard else "resolved"
            self.first_resolution = resolution
            assert len(result.unwrap().events) == 1
        else:
            assert isinstance(result, Failure)

    @invariant()
    def status_matches_model(self) -> None:
        expected = self.closed_as or "open"
        assert self.item.status.value == expected
        assert self.item.resolution == self.first_resolution
        assert (self.item.resolved_at is None) == (self.closed_as is None)
        assert self.item.status in ReviewStatus


TestReviewItemMachine = ReviewItemMachine.TestCase
