"""Customer health (C6) pinned rule by rule: every threshold on, just below and just above its
line, the factors by worked examples, and the score against a plain reference implementation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given

from crmcore.domain.health import (
    ACTIONS,
    ChurnReason,
    HealthConfig,
    HealthInputs,
    RiskLevel,
    Trigger,
    assess,
    level_of,
    roll_up,
)
from tests.strategies import health_inputs

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = HealthConfig()
#: Active today, engaged, nothing wrong: no trigger holds, so each test adds only its own.
QUIET = HealthInputs(last_active_at=NOW, engagement_30=5)


def reasons(x: HealthInputs, config: HealthConfig = CONFIG) -> set[ChurnReason]:
    return {t.reason for t in assess(x, config, now=NOW).triggers}


# --- levels: red below 50, yellow 50-69, green from 70 ---------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, RiskLevel.RED),
        (49, RiskLevel.RED),
        (50, RiskLevel.YELLOW),
        (51, RiskLevel.YELLOW),
        (69, RiskLevel.YELLOW),
        (70, RiskLevel.GREEN),
        (71, RiskLevel.GREEN),
        (100, RiskLevel.GREEN),
    ],
)
def test_levels_sit_on_the_spec_lines(score: int, level: RiskLevel) -> None:
    assert level_of(score, CONFIG) is level


@pytest.mark.parametrize(
    ("score", "level"),
    [(39, RiskLevel.RED), (40, RiskLevel.YELLOW), (79, RiskLevel.YELLOW), (80, RiskLevel.GREEN)],
)
def test_level_lines_follow_the_configuration(score: int, level: RiskLevel) -> None:
    assert level_of(score, HealthConfig(red_below=40, yellow_below=80)) is level


def test_each_level_has_its_action() -> None:
    assert ACTIONS[RiskLevel.RED] == "urgent intervention: personal call, special offer"
    assert ACTIONS[RiskLevel.YELLOW] == "nudge: targeted campaign"
    assert ACTIONS[RiskLevel.GREEN] == "upsell or advocacy program"


# --- triggers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inactive_for", "fires"),
    [
        (timedelta(days=13), False),
        (timedelta(days=14), False),
        (timedelta(days=14, seconds=1), True),
        (timedelta(days=15), True),
    ],
)
def test_inactive_means_more_than_14_days(inactive_for: timedelta, fires: bool) -> None:
    x = HealthInputs(last_active_at=NOW - inactive_for, engagement_30=5)
    result = assess(x, CONFIG, now=NOW)
    expected = (
        Trigger(reason=ChurnReason.INACTIVE, detail=f"inactive for {inactive_for.days} days"),
    )
    assert result.triggers == (expected if fires else ())


def test_never_active_is_inactive() -> None:
    result = assess(HealthInputs(engagement_30=5), CONFIG, now=NOW)
    assert result.triggers == (Trigger(reason=ChurnReason.INACTIVE, detail="never active"),)


def test_inactivity_line_follows_the_configuration() -> None:
    x = HealthInputs(last_active_at=NOW - timedelta(days=8), engagement_30=5)
    assert reasons(x, HealthConfig(inactive_days=7)) == {ChurnReason.INACTIVE}
    assert reasons(x, HealthConfig(inactive_days=8)) == set()


@pytest.mark.parametrize(("nps", "fires"), [(0, True), (5, True), (6, False), (7, False)])
def test_low_nps_means_below_6(nps: int, fires: bool) -> None:
    result = assess(HealthInputs(last_active_at=NOW, engagement_30=5, nps=nps), CONFIG, now=NOW)
    expected = (Trigger(reason=ChurnReason.LOW_NPS, detail=f"NPS {nps}"),)
    assert result.triggers == (expected if fires else ())


def test_nps_line_follows_the_configuration() -> None:
    x = HealthInputs(last_active_at=NOW, engagement_30=5, nps=7)
    assert reasons(x, HealthConfig(nps_below=8)) == {ChurnReason.LOW_NPS}
    assert reasons(x, HealthConfig(nps_below=7)) == set()


def test_negative_feedback_is_a_trigger() -> None:
    result = assess(
        HealthInputs(last_active_at=NOW, engagement_30=5, negative_feedback=True), CONFIG, now=NOW
    )
    assert result.triggers == (
        Trigger(reason=ChurnReason.NEGATIVE_FEEDBACK, detail="negative feedback"),
    )


@pytest.mark.parametrize(("unresolved", "fires"), [(2, False), (3, False), (4, True)])
def test_many_unresolved_tickets_means_more_than_3(unresolved: int, fires: bool) -> None:
    x = HealthInputs(last_active_at=NOW, engagement_30=5, unresolved_tickets=unresolved)
    result = assess(x, CONFIG, now=NOW)
    expected = (
        Trigger(reason=ChurnReason.UNRESOLVED_TICKETS, detail=f"{unresolved} unresolved tickets"),
    )
    assert result.triggers == (expected if fires else ())


def test_unused_key_features_are_named_in_order() -> None:
    x = HealthInputs(
        last_active_at=NOW,
        engagement_30=5,
        key_features=frozenset({"reports", "api", "sso"}),
        features_used=frozenset({"sso", "chat"}),
    )
    assert assess(x, CONFIG, now=NOW).triggers == (
        Trigger(reason=ChurnReason.KEY_FEATURES_UNUSED, detail="unused key features: api, reports"),
    )


@pytest.mark.parametrize(
    ("renewal_in", "fires"),
    [
        (timedelta(days=0), True),
        (timedelta(days=29), True),
        (timedelta(days=30), True),
        (timedelta(days=30, hours=23), True),
        (timedelta(days=31), False),
        (timedelta(days=32), False),
    ],
)
def test_renewal_within_30_days_without_engagement(renewal_in: timedelta, fires: bool) -> None:
    x = HealthInputs(last_active_at=NOW, renewal_at=NOW + renewal_in)
    result = assess(x, CONFIG, now=NOW)
    days = renewal_in.days
    expected = (
        Trigger(
            reason=ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT,
            detail=f"renewal in {days} days without engagement",
        ),
    )
    assert result.triggers == (expected if fires else ())
    assert (result.renewal_in_days, result.renewal_at) == (days, NOW + renewal_in)


@pytest.mark.parametrize(("engagement", "fires"), [(0, True), (1, False), (2, False)])
def test_renewal_needs_at_least_one_engagement(engagement: int, fires: bool) -> None:
    x = HealthInputs(
        last_active_at=NOW, engagement_30=engagement, renewal_at=NOW + timedelta(days=5)
    )
    assert (ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT in reasons(x)) is fires


def test_renewal_window_and_minimum_follow_the_configuration() -> None:
    x = HealthInputs(last_active_at=NOW, engagement_30=2, renewal_at=NOW + timedelta(days=10))
    assert reasons(x, HealthConfig(renewal_engagement_min=3)) == {
        ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT
    }
    assert reasons(x, HealthConfig(renewal_engagement_min=2)) == set()
    y = HealthInputs(last_active_at=NOW, renewal_at=NOW + timedelta(days=10))
    assert reasons(y, HealthConfig(renewal_days=10)) == {ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT}
    assert reasons(y, HealthConfig(renewal_days=9)) == set()


def test_a_past_renewal_is_no_renewal() -> None:
    x = HealthInputs(last_active_at=NOW, renewal_at=NOW - timedelta(seconds=1))
    result = assess(x, CONFIG, now=NOW)
    assert (result.triggers, result.renewal_in_days, result.renewal_at) == ((), None, None)


def test_triggers_come_in_the_spec_order() -> None:
    x = HealthInputs(
        nps=3,
        negative_feedback=True,
        unresolved_tickets=4,
        key_features=frozenset({"a"}),
        renewal_at=NOW + timedelta(days=1),
    )
    assert [t.reason for t in assess(x, CONFIG, now=NOW).triggers] == [
        ChurnReason.INACTIVE,
        ChurnReason.LOW_NPS,
        ChurnReason.NEGATIVE_FEEDBACK,
        ChurnReason.UNRESOLVED_TICKETS,
        ChurnReason.KEY_FEATURES_UNUSED,
        ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT,
    ]


# --- factors and score: worked examples ---------------------------------------------------


def test_a_mid_range_customer_worked_out_by_hand() -> None:
    x = HealthInputs(
        active_days_30=10,  # usage 10 / 20 target days = 0.5
        key_features=frozenset({"a", "b", "c", "d"}),
        features_used=frozenset({"a", "b", "x"}),  # adoption: 2 of 4 key features = 0.5
        engagement_30=3,  # engagement 3 / 10 = 0.3
        tickets=2,
        unresolved_tickets=1,  # support 1 - 2·0.1 - 1·0.25 = 0.55
        nps=8,
        negative_feedback=True,  # sentiment 8/10 halved = 0.4
        last_active_at=NOW,
    )
    result = assess(x, CONFIG, now=NOW)
    assert result.factors == pytest.approx(
        {"usage": 0.5, "adoption": 0.5, "engagement": 0.3, "support": 0.55, "sentiment": 0.4}
    )
    # 100 · (0.25·0.5 + 0.2·0.5 + 0.2·0.3 + 0.15·0.55 + 0.2·0.4) = 44.75, rounded half up: 45
    assert (result.score, result.level) == (45, RiskLevel.RED)
    assert result.action == ACTIONS[RiskLevel.RED]


def test_factors_are_clamped_and_defaulted() -> None:
    x = HealthInputs(
        active_days_30=30,  # 30 / 20 → clamped to 1
        features_used=frozenset({"chat"}),  # no key features, something used: adoption 1
        engagement_30=25,  # 25 / 10 → 1
        tickets=8,
        unresolved_tickets=2,  # 1 - 0.8 - 0.5 → clamped to 0
        last_active_at=NOW,  # no NPS: sentiment 0.5
    )
    result = assess(x, CONFIG, now=NOW)
    assert result.factors == pytest.approx(
        {"usage": 1.0, "adoption": 1.0, "engagement": 1.0, "support": 0.0, "sentiment": 0.5}
    )
    # 100 · (0.25 + 0.2 + 0.2 + 0 + 0.2·0.5) = 75
    assert (result.score, result.level) == (75, RiskLevel.GREEN)


def test_a_customer_with_nothing_recorded() -> None:
    result = assess(HealthInputs(), CONFIG, now=NOW)
    # usage 0, adoption 0 (nothing to adopt, nothing used), engagement 0, support 1, sentiment 0.5
    assert result.factors == pytest.approx(
        {"usage": 0.0, "adoption": 0.0, "engagement": 0.0, "support": 1.0, "sentiment": 0.5}
    )
    assert (result.score, result.level) == (25, RiskLevel.RED)  # 100 · (0.15 + 0.1)


def test_the_worst_customer_scores_zero() -> None:
    # every factor at 0: no use, nothing adopted, no engagement, 10 tickets, NPS 0
    result = assess(HealthInputs(tickets=10, nps=0), CONFIG, now=NOW)
    assert (result.score, result.level) == (0, RiskLevel.RED)


def test_targets_and_penalties_follow_the_configuration() -> None:
    config = HealthConfig(
        usage_target_days=10, engagement_target=4, ticket_penalty=0.2, unresolved_penalty=0.3
    )
    x = HealthInputs(active_days_30=4, engagement_30=1, tickets=1, unresolved_tickets=1, nps=10)
    factors = assess(x, config, now=NOW).factors
    assert factors["usage"] == pytest.approx(0.4)
    assert factors["engagement"] == pytest.approx(0.25)
    assert factors["support"] == pytest.approx(0.5)
    assert factors["sentiment"] == pytest.approx(1.0)


def test_the_score_rounds_half_up_on_the_weights_given() -> None:
    weights = {"usage": 0.0, "adoption": 0.0, "engagement": 0.0, "support": 0.0, "sentiment": 1.0}
    config = HealthConfig(weights=weights)
    # sentiment 0.5 (no NPS) halved by negative feedback: 0.25 → score 25
    assert assess(HealthInputs(negative_feedback=True), config, now=NOW).score == 25
    # NPS 7 → 0.7 → 70; NPS 1 halved → 0.05 → 5
    assert assess(HealthInputs(nps=7), config, now=NOW).score == 70
    assert assess(HealthInputs(nps=1, negative_feedback=True), config, now=NOW).score == 5


def reference(x: HealthInputs) -> tuple[dict[str, float], float]:
    """C6's default factors and raw score written out from the inputs, apart from ``assess``."""
    if x.key_features:
        adoption = len([f for f in x.key_features if f in x.features_used]) / len(x.key_features)
    else:
        adoption = 1.0 if x.features_used else 0.0
    sentiment = 0.5 if x.nps is None else x.nps / 10
    if x.negative_feedback:
        sentiment /= 2
    factors = {
        "usage": min(x.active_days_30 / 20, 1.0),
        "adoption": adoption,
        "engagement": min(x.engagement_30 / 10, 1.0),
        "support": max(1 - 0.1 * x.tickets - 0.25 * x.unresolved_tickets, 0.0),
        "sentiment": sentiment,
    }
    weights = {"usage": 25, "adoption": 20, "engagement": 20, "support": 15, "sentiment": 20}
    return factors, sum(weights[k] * v for k, v in factors.items())


@given(health_inputs(NOW))
def test_factors_and_score_match_the_reference(x: HealthInputs) -> None:
    result = assess(x, CONFIG, now=NOW)
    factors, total = reference(x)
    assert result.factors == pytest.approx(factors)
    if abs(total % 1 - 0.5) > 1e-6:
        assert result.score == int(total + 0.5)
    else:  # an exact .5 in decimal may sit either side of it in binary floats
        assert result.score in (int(total), int(total) + 1)
    assert result.level is level_of(result.score, CONFIG)


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        {"usage": 1.0},
        {"usage": 0.25, "adoption": 0.2, "engagement": 0.2, "support": 0.15, "mood": 0.2},
        {"usage": 0.25, "adoption": 0.2, "engagement": 0.2, "support": 0.15, "sentiment": 0.21},
        {"usage": 0.25, "adoption": 0.2, "engagement": 0.2, "support": 0.15, "sentiment": 0.19},
        {"usage": 1.2, "adoption": -0.2, "engagement": 0.0, "support": 0.0, "sentiment": 0.0},
    ],
)
def test_weights_must_name_every_factor_and_sum_to_one(weights: dict[str, float]) -> None:
    if set(weights) != {"usage", "adoption", "engagement", "support", "sentiment"}:
        message = (
            "^health weights must name exactly usage, adoption, engagement, support, sentiment$"
        )
        with pytest.raises(ValueError, match=message):
            HealthConfig(weights=weights)
    else:
        with pytest.raises(ValueError, match=r"^health weights must be non-negative and sum to 1$"):
            HealthConfig(weights=weights)


@pytest.mark.parametrize(("red", "yellow"), [(0, 70), (71, 70), (50, 101), (-1, 50)])
def test_thresholds_must_be_ordered_within_0_to_100(red: int, yellow: int) -> None:
    with pytest.raises(
        ValueError, match=r"^thresholds must satisfy 0 < red_below <= yellow_below <= 100$"
    ):
        HealthConfig(red_below=red, yellow_below=yellow)


@pytest.mark.parametrize(("red", "yellow"), [(1, 1), (50, 50), (100, 100), (1, 100)])
def test_thresholds_on_their_limits_are_accepted(red: int, yellow: int) -> None:
    assert HealthConfig(red_below=red, yellow_below=yellow).yellow_below == yellow


def test_a_zero_weight_is_accepted() -> None:
    weights = {
        "usage": 0.0,
        "adoption": 0.25,
        "engagement": 0.25,
        "support": 0.25,
        "sentiment": 0.25,
    }
    assert HealthConfig(weights=weights).weights["usage"] == 0.0


# --- account roll-up -------------------------------------------------------------------------


def test_accounts_without_scores_are_skipped_not_the_end() -> None:
    rolled = roll_up({UUID(int=1): [], UUID(int=2): [60, 71]}, CONFIG)
    assert [(a.account, a.score, a.level, a.worst, a.contacts, a.red) for a in rolled] == [
        (UUID(int=2), 66, RiskLevel.YELLOW, 60, 2, 0)  # (60 + 71) / 2 = 65.5 → 66
    ]


def test_accounts_tied_on_score_and_worst_are_ordered_by_id() -> None:
    rolled = roll_up({UUID(int=9): [40, 60], UUID(int=3): [60, 40], UUID(int=5): [45]}, CONFIG)
    assert [(a.account, a.score, a.red) for a in rolled] == [
        (UUID(int=5), 45, 1),
        (UUID(int=3), 50, 1),
        (UUID(int=9), 50, 1),
    ]
