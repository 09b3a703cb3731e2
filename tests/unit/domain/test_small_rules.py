"""The small domain modules pinned: account size ranges on their bounds, tasks' overdue and
completion rules, the transaction content key, retention cut-offs, segment refreshes,
sentiment confidence and the import's field-by-field merge.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from returns.result import Failure, Success

from crmcore.domain.account import SIZE_RANGES, size_range_for
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.email import Email
from crmcore.domain.errors import RuleViolation
from crmcore.domain.ids import ActivityId, LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.merge import merge_import
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.retention import RetentionCutoffs, RetentionPolicy
from crmcore.domain.segment import Segment, SegmentId
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from crmcore.domain.transaction import content_key
from tests.conftest import T0


@pytest.mark.parametrize(
    ("employees", "label"),
    [
        (0, "1-10"),
        (10, "1-10"),
        (11, "11-50"),
        (50, "11-50"),
        (51, "51-200"),
        (200, "51-200"),
        (201, "201-1000"),
        (1000, "201-1000"),
        (1001, "1001-5000"),
        (5000, "1001-5000"),
        (5001, "5000+"),
    ],
)
def test_size_ranges_on_their_bounds(employees: int, label: str) -> None:
    assert size_range_for(employees) == label
    assert label in SIZE_RANGES


def task(**kw: Any) -> Activity:
    base = Activity(
        id=ActivityId(UUID(int=1)), type=ActivityType.TASK, subject="call back", created_at=T0
    )
    return attrs.evolve(base, **kw)


def test_a_task_is_overdue_once_its_due_time_has_passed() -> None:
    due = task(due_at=T0)
    assert not due.is_overdue(T0 - timedelta(seconds=1))
    assert not due.is_overdue(T0)
    assert due.is_overdue(T0 + timedelta(seconds=1))
    assert not task().is_overdue(T0 + timedelta(days=9))  # no due date
    assert not task(due_at=T0, completed_at=T0).is_overdue(T0 + timedelta(days=1))
    assert not task(type=ActivityType.CALL, due_at=T0).is_overdue(T0 + timedelta(days=1))


def test_only_an_open_task_can_be_completed() -> None:
    at = T0 + timedelta(hours=1)
    assert task().is_open_task
    assert task().complete(at=at) == Success(task(completed_at=at))
    assert task(completed_at=T0).complete(at=at) == Failure(
        RuleViolation(rule="task", detail=f"already completed at {T0}")
    )
    assert task(type=ActivityType.NOTE).complete(at=at) == Failure(
        RuleViolation(rule="task", detail="a note is not a task")
    )


def test_the_content_key_hashes_customer_time_amount_and_currency() -> None:
    key = content_key("ext-7", T0, Money.of("12.500", "EUR"))
    raw = f"ext-7|{T0.isoformat()}|12.5|EUR"
    assert key == "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    assert key == content_key("ext-7", T0, Money.of("12.5", "EUR"))
    assert key != content_key("ext-7", T0, Money.of("12.5", "USD"))


def test_retention_cutoffs_follow_the_source_policy() -> None:
    assert RetentionPolicy().cutoffs(T0) == RetentionCutoffs(
        leads_inactive_before=T0 - timedelta(days=730),
        activities_before=T0 - timedelta(days=1095),
        campaign_detail_before=T0 - timedelta(days=365),
        health_history_before=T0 - timedelta(days=183),
    )


def test_a_refreshed_segment_keeps_its_count_and_time() -> None:
    segment = Segment(
        id=SegmentId(UUID(int=4)), name="vip", filter={}, created_at=T0, updated_at=T0
    )
    at = T0 + timedelta(days=1)
    refreshed = segment.refreshed(42, at=at)
    assert (refreshed.member_count, refreshed.refreshed_at, refreshed.updated_at) == (42, at, at)
    assert refreshed.created_at == T0


@pytest.mark.parametrize(("confidence", "sure"), [(0.69, False), (0.7, True), (0.71, True)])
def test_sentiment_is_confident_at_or_above_the_threshold(confidence: float, sure: bool) -> None:
    assert Sentiment(label=SentimentLabel.NEGATIVE, confidence=confidence).confident(0.7) is sure


@pytest.mark.parametrize("confidence", [-0.01, 1.01])
def test_sentiment_confidence_is_within_0_and_1(confidence: float) -> None:
    with pytest.raises(ValueError, match=r"^confidence must be within \[0, 1\], got "):
        Sentiment(label=SentimentLabel.POSITIVE, confidence=confidence)


def test_sentiment_confidence_on_its_limits_is_accepted() -> None:
    assert Sentiment(label=SentimentLabel.NEUTRAL, confidence=0.0).confidence == 0.0
    assert Sentiment(label=SentimentLabel.NEUTRAL, confidence=1.0).confidence == 1.0


def lead(**kw: Any) -> Lead:
    base = Lead(
        id=LeadId(UUID(int=5)),
        email=Email("a@b.co"),
        name=PersonName("A", "B"),
        created_at=T0,
        updated_at=T0,
    )
    return attrs.evolve(base, **kw)


def test_an_import_updates_only_what_it_brings_and_the_crm_does_not_own() -> None:
    stored = lead(company="Acme", job_title="CTO", score=40, status=LeadStatus.QUALIFIED)
    later = T0 + timedelta(days=2)
    incoming = lead(
        id=LeadId(UUID(int=9)),
        company="Acme Ltd",
        job_title=None,  # empty: keeps the stored value
        score=90,  # owned by the CRM
        metadata={},
        updated_at=later,
    )
    merged = merge_import(stored, incoming)
    assert merged == attrs.evolve(stored, company="Acme Ltd", updated_at=later)


def test_an_import_that_changes_nothing_is_none() -> None:
    stored = lead(company="Acme", metadata={"k": 1})
    same = lead(company="Acme", metadata={}, score=70, updated_at=T0 + timedelta(days=1))
    assert merge_import(stored, same) is None
    assert merge_import(stored, lead(company="Acme", metadata={"k": 1})) is None
    changed = merge_import(stored, lead(company="Acme", metadata={"k": 2}))
    assert changed is not None
    assert changed.metadata == {"k": 2}
    budget = merge_import(stored, lead(company=None, metadata={"budget": Decimal(5)}))
    assert budget is not None
    assert (budget.company, budget.metadata) == ("Acme", {"budget": Decimal(5)})
