"""Campaign rules pinned: each refusal of new_campaign with its rule and detail on and just
past its line, the failure share's two lines, the channel choice, the default channels of
RFM segments, and what each move records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from returns.result import Failure, Success

from crmcore.domain.abtest import AbRule
from crmcore.domain.campaign import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    default_channels,
    failure_share_too_high,
    new_campaign,
    pick_channel,
    variant_name_ok,
)
from crmcore.domain.errors import RuleViolation

AT = datetime(2026, 1, 1, tzinfo=UTC)
E, S, P, M, APP, C = (
    CampaignChannel.EMAIL,
    CampaignChannel.SMS,
    CampaignChannel.PUSH,
    CampaignChannel.MESSENGER,
    CampaignChannel.IN_APP,
    CampaignChannel.CALL_LIST,
)


def make(**changes: Any) -> Any:
    args: dict[str, Any] = {
        "id": UUID(int=1),
        "name": "Spring",
        "channels": [E],
        "segment": "vip",
        "variants": {"A": "welcome"},
        "at": AT,
        **changes,
    }
    return new_campaign(**args)


def refused(rule: str, detail: str, **changes: Any) -> None:
    assert make(**changes) == Failure(RuleViolation(rule=rule, detail=detail))


def test_a_new_campaign_is_a_trimmed_draft() -> None:
    result = make(name="  Spring ", segment=" vip ", channels=[S, E, S], kind="sequence")
    assert isinstance(result, Success)
    c: Campaign = result.unwrap()
    assert (c.name, c.segment, c.channels, c.kind) == ("Spring", "vip", (S, E), "sequence")
    assert c.id == UUID(int=1)
    assert (c.status, c.created_at, c.updated_at, c.ab) == (CampaignStatus.DRAFT, AT, AT, AbRule())
    assert (c.channel, c.template, c.variants) == (S, "welcome", {"A": "welcome"})
    assert c.is_sequence
    assert not make().unwrap().is_sequence
    assert make().unwrap().kind == "broadcast"


def test_the_name_is_1_to_300_characters() -> None:
    assert isinstance(make(name="n" * 300), Success)
    for name in ("", "   ", "n" * 301):
        refused("campaign name", "1-300 characters", name=name)


def test_a_segment_a_channel_and_a_template_are_required() -> None:
    refused("campaign audience", "a segment is required", segment=" ")
    refused("campaign channel", "a channel is required", channels=[])
    refused("campaign template", "a template is required", variants={})


AB = "test share in (0, 1], min sample >= 1, level in (0, 1)"


@pytest.mark.parametrize(
    ("rule", "ok"),
    [
        (AbRule(test_share=1.0), True),
        (AbRule(test_share=0.0), False),
        (AbRule(test_share=1.01), False),
        (AbRule(min_sample=1), True),
        (AbRule(min_sample=0), False),
        (AbRule(level=0.0), False),
        (AbRule(level=1.0), False),
        (AbRule(level=0.999), True),
        (AbRule(metric="opened"), True),
        (AbRule(metric="converted"), True),
    ],
)
def test_ab_rules_within_their_ranges(rule: AbRule, ok: bool) -> None:
    result = make(ab=rule)
    if ok:
        assert result.unwrap().ab == rule
    else:
        assert result == Failure(RuleViolation(rule="A/B test", detail=AB))


def test_an_ab_metric_is_opened_clicked_or_converted() -> None:
    refused("A/B test", "metric: opened, clicked or converted", ab=AbRule(metric="bought"))


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("A", True),
        ("v_1-b", True),
        ("x" * 50, True),
        ("", False),
        ("x" * 51, False),
        ("a b", False),
        ("a.b", False),
    ],
)
def test_variant_names(name: str, ok: bool) -> None:
    assert variant_name_ok(name) is ok
    result = make(variants={"A": "t", name: "u"})
    if ok:
        assert isinstance(result, Success)
    else:
        assert result == Failure(
            RuleViolation(rule="variant name", detail=f"{name!r}: 1-50 letters, digits, _ or -")
        )


@pytest.mark.parametrize(
    ("sent", "failed", "too_high"),
    [
        (0, 19, False),  # 19 attempts: too few to judge
        (0, 20, True),
        (19, 1, False),  # 1 of 20 is exactly 5 %
        (18, 2, True),
        (38, 2, False),
        (37, 3, True),
        (100, 0, False),
    ],
)
def test_the_failure_share_pauses_past_5_percent_of_at_least_20(
    sent: int, failed: int, too_high: bool
) -> None:
    assert failure_share_too_high(sent, failed) is too_high


@pytest.mark.parametrize(
    ("allowed", "preferred", "reachable", "channel"),
    [
        ([E, S], "sms", {"email", "phone"}, S),
        ([E, S], "sms", {"email"}, E),
        ([E, S], "push", {"email", "user_id"}, E),
        ([E, C], "phone", {"email", "phone"}, C),
        ([E, M], "messenger", {"user_id"}, M),
        ([APP, E], None, {"email", "user_id"}, APP),
        ([P], "in_app", {"user_id"}, P),
        ([E, S], "fax", {"phone"}, S),
        ([E, S], None, set(), None),
        ([P, C], "email", {"email"}, None),
    ],
)
def test_the_preferred_channel_wins_when_allowed_and_reachable(
    allowed: list[CampaignChannel], preferred: str | None, reachable: set[str], channel: object
) -> None:
    assert pick_channel(allowed, preferred, reachable) == channel


@pytest.mark.parametrize(
    ("segment", "channels"),
    [
        ("drifting", (P,)),
        (" At Risk ", (P, M)),
        ("at-risk", (P, M)),
        ("SLEEPING", (M,)),
        ("lost", (M, C)),
        ("vip", (E,)),
    ],
)
def test_rfm_segments_have_default_reactivation_channels(
    segment: str, channels: tuple[CampaignChannel, ...]
) -> None:
    assert default_channels(segment) == channels


def test_each_move_records_its_time_and_a_pause_its_reason() -> None:
    draft = make().unwrap()
    t = [AT + timedelta(hours=h) for h in range(6)]
    scheduled = draft.move("schedule", at=t[1]).unwrap()
    assert (scheduled.status, scheduled.scheduled_at, scheduled.updated_at) == (
        CampaignStatus.SCHEDULED,
        t[1],
        t[1],
    )
    assert scheduled.sent_at is None
    running = scheduled.move("start", at=t[2]).unwrap()
    assert (running.sent_at, running.scheduled_at, running.sending) == (t[2], t[1], True)
    paused = running.move("pause", at=t[3], reason="too many failures").unwrap()
    assert (paused.pause_reason, paused.sending, paused.finished) == (
        "too many failures",
        False,
        False,
    )
    resumed = paused.move("resume", at=t[4], reason="ignored").unwrap()
    assert (resumed.status, resumed.pause_reason, resumed.sent_at) == (
        CampaignStatus.RUNNING,
        None,
        t[2],
    )
    done = resumed.move("complete", at=t[5]).unwrap()
    assert (done.finished, done.updated_at) == (True, t[5])
    refused_move = done.move("start", at=t[5])
    assert isinstance(refused_move, Failure)
    assert refused_move.failure().state == "completed"
