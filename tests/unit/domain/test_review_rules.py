"""The manual-review queue (C10) pinned: the status table, what resolves which kind of item,
the events of queueing and resolving, type and payload.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from returns.result import Failure

from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.ids import ContactId
from crmcore.domain.review import (
    REVIEW_STATUS,
    Resolution,
    ReviewItem,
    ReviewQueued,
    ReviewReason,
    ReviewResolved,
    ReviewStatus,
    queued,
)
from crmcore.domain.sentiment import SentimentLabel
from tests.conftest import T0

ITEM_ID, CONTACT = UUID(int=5), ContactId(UUID(int=6))
AT = T0 + timedelta(hours=2)


def item(reason: ReviewReason = ReviewReason.LOW_CONFIDENCE) -> ReviewItem:
    return ReviewItem(
        id=ITEM_ID,
        event_id="ev-9",
        reason=reason,
        detail="confidence 0.41",
        proposed_action="label negative",
        created_at=T0,
    )


def test_the_status_table() -> None:
    assert {(str(s), m): str(t) for (s, m), t in REVIEW_STATUS.table.items()} == {
        ("open", "resolve"): "resolved",
        ("open", "discard"): "discarded",
    }


def test_a_low_confidence_item_is_resolved_with_a_label() -> None:
    resolution = Resolution(label=SentimentLabel.NEGATIVE, by="ops")
    changed = item().resolve(resolution, at=AT).unwrap()
    assert (changed.entity.status, changed.entity.resolution, changed.entity.resolved_at) == (
        ReviewStatus.RESOLVED,
        resolution,
        AT,
    )
    assert changed.events == (
        ReviewResolved(
            item_id=ITEM_ID, event_id="ev-9", outcome="resolve", label="negative", by="ops"
        ),
    )
    assert item().resolve(Resolution(contact_id=CONTACT), at=AT) == Failure(
        RuleViolation(
            rule="review resolution",
            detail="a low-confidence item is resolved with --label or --discard",
        )
    )


@pytest.mark.parametrize("reason", [ReviewReason.AMBIGUOUS_MATCH, ReviewReason.BUSINESS_RULE])
def test_other_items_are_resolved_with_a_contact(reason: ReviewReason) -> None:
    changed = item(reason).resolve(Resolution(contact_id=CONTACT), at=AT).unwrap()
    assert changed.events == (
        ReviewResolved(item_id=ITEM_ID, event_id="ev-9", outcome="resolve", contact_id=CONTACT),
    )
    assert item(reason).resolve(Resolution(label=SentimentLabel.POSITIVE), at=AT) == Failure(
        RuleViolation(
            rule="review resolution",
            detail=f"a {reason} item is resolved with --match CONTACT or --discard",
        )
    )


def test_any_item_may_be_discarded_once() -> None:
    changed = item(ReviewReason.BUSINESS_RULE).resolve(Resolution(discard=True), at=AT).unwrap()
    assert changed.entity.status is ReviewStatus.DISCARDED
    assert changed.events == (ReviewResolved(item_id=ITEM_ID, event_id="ev-9", outcome="discard"),)
    assert changed.entity.resolve(Resolution(discard=True), at=AT) == Failure(
        IllegalTransition(machine="review item", state="discarded", move="discard", allowed=())
    )


@pytest.mark.parametrize(
    "choice",
    [
        {},
        {"label": SentimentLabel.NEUTRAL, "discard": True},
        {"label": SentimentLabel.NEUTRAL, "contact_id": CONTACT},
        {"contact_id": CONTACT, "discard": True},
    ],
)
def test_a_resolution_is_exactly_one_choice(choice: dict[str, object]) -> None:
    with pytest.raises(
        ValueError, match=r"^a resolution is exactly one of label, contact_id, discard$"
    ):
        Resolution(**choice)  # type: ignore[arg-type]


def test_queueing_announces_the_item() -> None:
    assert queued(item(ReviewReason.AMBIGUOUS_MATCH)) == ReviewQueued(
        item_id=ITEM_ID, event_id="ev-9", reason="ambiguous_match", proposed_action="label negative"
    )
