"""Lead scoring (C1): the spec's formula, explanations, decay, configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure

from crmcore.app.config import load_config, parse_config
from crmcore.domain.email import Email
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Engagement, Firmographics, Lead
from crmcore.domain.names import PersonName
from crmcore.domain.scoring import Piecewise, ScoringConfig, crossed_upwards, score_lead

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def lead(**kw: Any) -> Lead:
    base = Lead(
        id=LeadId(UUID(int=1)),
        email=Email.parse("a@b.io").unwrap(),
        name=PersonName("Ann", "Lee"),
        created_at=NOW,
        updated_at=NOW,
    )
    return attrs.evolve(base, **kw)


leads = st.builds(
    lambda size, budget, views, dl, opens, clicks, events, title, days: lead(
        job_title=title,
        firmographics=Firmographics(
            company_size=size, industry="education", budget=Decimal(budget)
        ),
        engagement=Engagement(
            page_views=views,
            downloads=dl,
            email_opens=opens,
            email_clicks=clicks,
            events_attended=events,
            last_engaged_at=NOW - timedelta(days=days),
        ),
    ),
    st.integers(0, 5000),
    st.integers(0, 100000),
    st.integers(0, 100),
    st.integers(0, 10),
    st.integers(0, 40),
    st.integers(0, 10),
    st.integers(0, 5),
    st.sampled_from([None, "CEO", "Sales manager", "intern"]),
    st.integers(0, 365),
)


@given(leads)
def test_score_is_the_spec_formula_over_the_explained_components(subject: Lead) -> None:
    config = ScoringConfig()
    result = score_lead(subject, config, NOW)
    fit = {c.component: c.value for c in result.contributions if c.group == "fit"}
    eng = {c.component: c.value for c in result.contributions if c.group == "engagement"}
    fit_v = fit["size"] * 0.3 + fit["industry"] * 0.2 + fit["role"] * 0.2 + fit["budget"] * 0.3
    eng_v = eng["web"] * 0.3 + eng["downloads"] * 0.2 + eng["email"] * 0.3 + eng["events"] * 0.2
    expected = (fit_v * 0.5 + eng_v * 0.5) * 100
    assert abs(result.score - expected) <= 0.5 + 1e-9
    assert 0 <= result.score <= 100
    assert all(0 <= c.value <= 1 for c in result.contributions)
    assert abs(sum(c.points for c in result.contributions) - expected) < 1e-6


def test_engagement_halves_after_one_half_life() -> None:
    hot = Engagement(page_views=50, downloads=5, email_opens=20, events_attended=3)
    fresh = score_lead(
        lead(engagement=attrs.evolve(hot, last_engaged_at=NOW)), ScoringConfig(), NOW
    )
    old = score_lead(
        lead(engagement=attrs.evolve(hot, last_engaged_at=NOW - timedelta(days=30))),
        ScoringConfig(),
        NOW,
    )
    assert fresh.engagement == pytest.approx(1.0)
    assert old.engagement == pytest.approx(0.5)
    assert (fresh.score, old.score) == (50, 25)


def test_an_ideal_lead_scores_100_and_an_empty_one_0() -> None:
    ideal = lead(
        job_title="Chief Learning Officer",
        firmographics=Firmographics(company_size=5000, industry="Education", budget=Decimal(10**6)),
        engagement=Engagement(
            page_views=99, downloads=9, email_opens=99, events_attended=9, last_engaged_at=NOW
        ),
    )
    assert score_lead(ideal, ScoringConfig(), NOW).score == 100
    assert score_lead(lead(), ScoringConfig(), NOW).score == 0


def test_the_hot_trigger_fires_only_when_rising_above_the_threshold() -> None:
    assert crossed_upwards(80, 81, 80)
    assert not crossed_upwards(81, 90, 80)
    assert not crossed_upwards(70, 80, 80)


def test_piecewise_interpolates_and_rejects_bad_points() -> None:
    f = Piecewise(((0, 0.0), (10, 1.0)))
    assert (f(-1), f(5), f(99)) == (0.0, 0.5, 1.0)
    with pytest.raises(ValueError):
        Piecewise(((1, 0.0), (0, 1.0)))


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "crm.toml"
    path.write_text(
        """
[scoring]
half_life_days = 7
[scoring.fit_weights]
size = 0.25
industry = 0.25
role = 0.25
budget = 0.25
[scoring.functions]
web = [[0, 0], [10, 1]]
[scoring.industry]
default = 0.1
values = { retail = 0.9 }
[health]
yellow_below = 75
[[routing.owners]]
id = "ann"
capacity = 2
"""
    )
    config = load_config(path).unwrap()
    assert config.scoring.half_life_days == 7
    assert config.scoring.industry("RETAIL") == 0.9
    assert config.scoring.web(5) == 0.5
    assert config.health.yellow_below == 75
    assert config.routing.owners[0].capacity == 2


def test_bad_config_names_the_key() -> None:
    bad = parse_config({"scoring": {"fit_weights": {"size": 1.0}}})
    assert isinstance(bad, Failure)
    assert "fit weights must name exactly" in str(bad.failure())
    bad = parse_config({"health": {"yellow_below": "high"}})
    assert isinstance(bad, Failure)
    assert "health.yellow_below: must be a number" in str(bad.failure())
    assert isinstance(load_config(Path("/nonexistent/crm.toml")), Failure)
