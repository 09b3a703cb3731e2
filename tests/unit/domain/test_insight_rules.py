"""The pipeline's customer insight (C9 statuses) pinned: the detractor line (NPS ≤ 6), the
comeback gap and the burst window (30 days) on, below and above their lines, the reasons
and the precedence leaving > hot > new > active.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmcore.domain.insight import (
    NEW_CUSTOMER,
    CustomerFacts,
    CustomerStatus,
    Insight,
    Scalar,
    assess,
    leaving_insight,
    purchases_insight,
)
from crmcore.domain.money import Money
from crmcore.domain.sentiment import SentimentLabel
from tests.conftest import T0

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
HOT_COMEBACK = Insight(status=CustomerStatus.HOT, reasons=("came back after postponing",))
HOT_BURST = Insight(status=CustomerStatus.HOT, reasons=("three purchases within 30 days",))
ACTIVE = Insight(status=CustomerStatus.ACTIVE)


@pytest.mark.parametrize(
    ("nps", "leaving"), [(0, True), (5, True), (6, True), (7, False), (10, False)]
)
def test_a_detractor_answers_6_or_less(nps: int, leaving: bool) -> None:
    got = leaving_insight(False, None, nps)
    expected = Insight(status=CustomerStatus.LEAVING, reasons=(f"NPS {nps} (detractor)",))
    assert got == (expected if leaving else None)


@pytest.mark.parametrize("nps", [None, True, False, "3", 3.0])
def test_only_an_integer_nps_counts(nps: Scalar) -> None:
    assert leaving_insight(False, None, nps) is None


def test_every_leaving_reason_in_order() -> None:
    # a negative NPS is never memoised, so every reason is built here
    assert leaving_insight(True, SentimentLabel.NEGATIVE, -1) == Insight(
        status=CustomerStatus.LEAVING,
        reasons=("subscription cancelled", "latest feedback is negative", "NPS -1 (detractor)"),
    )
    assert leaving_insight(False, SentimentLabel.NEGATIVE, -2) == Insight(
        status=CustomerStatus.LEAVING, reasons=("latest feedback is negative", "NPS -2 (detractor)")
    )
    assert leaving_insight(True, SentimentLabel.POSITIVE, -3) == Insight(
        status=CustomerStatus.LEAVING, reasons=("subscription cancelled", "NPS -3 (detractor)")
    )
    assert leaving_insight(False, SentimentLabel.NEUTRAL, None) is None


def test_the_same_question_gets_the_same_answer() -> None:
    first = leaving_insight(True, SentimentLabel.NEGATIVE, 4)
    again = leaving_insight(1, SentimentLabel.NEGATIVE, 4)  # type: ignore[arg-type]
    assert (
        first
        == again
        == Insight(
            status=CustomerStatus.LEAVING,
            reasons=("subscription cancelled", "latest feedback is negative", "NPS 4 (detractor)"),
        )
    )


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(30 * DAY - SECOND, ACTIVE), (30 * DAY, HOT_COMEBACK), (30 * DAY + SECOND, HOT_COMEBACK)],
)
def test_a_comeback_is_a_purchase_30_days_or_more_after_the_previous(
    gap: timedelta, expected: Insight
) -> None:
    assert purchases_insight(T0 + gap, T0, None) == expected


@pytest.mark.parametrize(
    ("span", "expected"),
    [(30 * DAY - SECOND, HOT_BURST), (30 * DAY, HOT_BURST), (30 * DAY + SECOND, ACTIVE)],
)
def test_a_burst_is_three_purchases_within_30_days(span: timedelta, expected: Insight) -> None:
    assert purchases_insight(T0 + span, T0 + span / 2, T0) == expected


def money() -> Money:
    return Money.of("10")


def test_assess_reads_the_latest_feedback_and_the_purchase_times_in_order() -> None:
    purchases = ((T0 + 2 * DAY, money()), (T0, money()), (T0 + DAY, money()))
    assert assess(CustomerFacts(purchases=purchases)) == HOT_BURST
    gap = ((T0 + 45 * DAY, money()), (T0, money()))
    assert assess(CustomerFacts(purchases=gap)) == HOT_COMEBACK
    spread = ((T0, money()), (T0 + 20 * DAY, money()), (T0 + 40 * DAY, money()))
    assert assess(CustomerFacts(purchases=spread)) == ACTIVE
    later_negative = (
        (T0 + DAY, SentimentLabel.NEGATIVE),
        (T0, SentimentLabel.POSITIVE),
    )
    facts = CustomerFacts(purchases=gap, sentiments=later_negative)
    assert assess(facts).status is CustomerStatus.LEAVING
    later_positive = ((T0 + DAY, SentimentLabel.POSITIVE), (T0, SentimentLabel.NEGATIVE))
    assert assess(CustomerFacts(purchases=gap, sentiments=later_positive)) == HOT_COMEBACK


def test_new_is_at_most_one_purchase_unless_leaving() -> None:
    assert assess(CustomerFacts()) == NEW_CUSTOMER
    assert assess(CustomerFacts(purchases=((T0, money()),))) == NEW_CUSTOMER
    assert Insight(status=CustomerStatus.NEW, reasons=("at most one purchase",)) == NEW_CUSTOMER
    leaving = assess(CustomerFacts(cancelled=True, loyalty={"nps": -5}))
    assert leaving.reasons == ("subscription cancelled", "NPS -5 (detractor)")
