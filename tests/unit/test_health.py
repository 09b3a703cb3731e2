"""Customer health (C6): score, levels, triggers with reasons, actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.health import (
    ChurnReason,
    HealthConfig,
    HealthInputs,
    RiskLevel,
    assess,
    level_of,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)

inputs = st.builds(
    HealthInputs,
    active_days_30=st.integers(0, 30),
    features_used=st.frozensets(st.sampled_from(["a", "b", "c"])),
    key_features=st.frozensets(st.sampled_from(["a", "b"])),
    engagement_30=st.integers(0, 20),
    tickets=st.integers(0, 10),
    unresolved_tickets=st.integers(0, 10),
    nps=st.none() | st.integers(0, 10),
    negative_feedback=st.booleans(),
    last_active_at=st.none() | st.integers(0, 60).map(lambda d: NOW - timedelta(days=d)),
    renewal_at=st.none() | st.integers(0, 90).map(lambda d: NOW + timedelta(days=d)),
)


@given(inputs)
def test_score_level_and_action_are_consistent(x: HealthInputs) -> None:
    result = assess(x, HealthConfig(), now=NOW)
    assert 0 <= result.score <= 100
    assert result.level is level_of(result.score, HealthConfig())
    assert (result.level is RiskLevel.RED) == (result.score < 50)
    assert (result.level is RiskLevel.GREEN) == (result.score >= 70)
    assert ("urgent" in result.action) == (result.level is RiskLevel.RED)
    reasons = {t.reason for t in result.triggers}
    assert (ChurnReason.LOW_NPS in reasons) == (x.nps is not None and x.nps < 6)
    inactive = x.last_active_at is None or NOW - x.last_active_at > timedelta(days=14)
    assert (ChurnReason.INACTIVE in reasons) == inactive
    assert (ChurnReason.UNRESOLVED_TICKETS in reasons) == (x.unresolved_tickets > 3)
    assert (ChurnReason.KEY_FEATURES_UNUSED in reasons) == bool(x.key_features - x.features_used)


def test_a_thriving_customer_is_green_and_a_silent_one_red() -> None:
    thriving = HealthInputs(
        active_days_30=25,
        features_used=frozenset({"a", "b"}),
        key_features=frozenset({"a", "b"}),
        engagement_30=12,
        nps=10,
        last_active_at=NOW,
    )
    good = assess(thriving, HealthConfig(), now=NOW)
    assert (good.score, good.level, good.triggers) == (100, RiskLevel.GREEN, ())
    silent = assess(HealthInputs(tickets=5, unresolved_tickets=5, nps=2), HealthConfig(), now=NOW)
    assert silent.level is RiskLevel.RED
    assert {t.reason for t in silent.triggers} >= {ChurnReason.INACTIVE, ChurnReason.LOW_NPS}


def test_renewal_without_engagement_is_a_trigger() -> None:
    x = HealthInputs(renewal_at=NOW + timedelta(days=10), last_active_at=NOW)
    result = assess(x, HealthConfig(), now=NOW)
    assert result.renewal_in_days == 10
    assert ChurnReason.RENEWAL_WITHOUT_ENGAGEMENT in {t.reason for t in result.triggers}


def test_yellow_threshold_is_configurable_and_weights_are_checked() -> None:
    assert level_of(72, HealthConfig(yellow_below=75)) is RiskLevel.YELLOW
    with pytest.raises(ValueError):
        HealthConfig(weights={"usage": 1.0})
