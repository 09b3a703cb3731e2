"""The campaign status machine, checked against an independent model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from returns.result import Failure, Success

from crmcore.domain.campaign import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    default_channels,
    failure_share_too_high,
    new_campaign,
    pick_channel,
)
from crmcore.domain.errors import IllegalTransition

AT = datetime(2026, 3, 1, tzinfo=UTC)
EMAIL = CampaignChannel.EMAIL
MOVES = ("schedule", "start", "pause", "resume", "complete", "cancel")


def _draft() -> Campaign:
    made = new_campaign(
        id=UUID(int=1), name="Spring", channels=[CampaignChannel.EMAIL], segment="champions",
        variants={"A": "spring"}, at=AT,
    )  # fmt: skip
    assert isinstance(made, Success)
    campaign: Campaign = made.unwrap()
    return campaign


class CampaignMachine(RuleBasedStateMachine):
    """Model: a phase counter and two flags, written without the transition table.

    The campaign goes forward through draft (0), scheduled (1), live (2) and done (3);
    while live it is either paused or not; it ends completed or cancelled.
    """

    def __init__(self) -> None:
        super().__init__()
        self.campaign = _draft()
        self.phase = 0
        self.paused = False
        self.cancelled = False
        self.at = AT

    def _expect(self, move: str) -> bool:
        if self.phase == 3:
            return False
        if move == "cancel":
            return True
        if move == "schedule":
            return self.phase == 0
        if move == "start":
            return self.phase == 1
        if move == "pause":
            return self.phase == 2 and not self.paused
        if move == "resume":
            return self.phase == 2 and self.paused
        return self.phase == 2 and not self.paused  # complete

    @rule(move=st.sampled_from(MOVES), reason=st.none() | st.text(max_size=10))
    def fire(self, move: str, reason: str | None) -> None:
        self.at += timedelta(minutes=1)
        legal = self._expect(move)
        result = self.campaign.move(move, at=self.at, reason=reason)
        if not legal:
            assert isinstance(result, Failure)
            error = result.failure()
            assert isinstance(error, IllegalTransition)
            assert error.move == move
            assert move not in error.allowed
            return
        assert isinstance(result, Success)
        self.campaign = result.unwrap()
        if move == "cancel":
            self.phase, self.cancelled, self.paused = 3, True, False
        elif move in ("schedule", "start"):
            self.phase += 1
        elif move == "complete":
            self.phase = 3
        else:
            self.paused = move == "pause"
        if move == "pause":
            assert self.campaign.pause_reason == reason

    @invariant()
    def status_matches_model(self) -> None:
        c = self.campaign
        expected = {
            0: CampaignStatus.DRAFT,
            1: CampaignStatus.SCHEDULED,
            2: CampaignStatus.PAUSED if self.paused else CampaignStatus.RUNNING,
            3: CampaignStatus.CANCELLED if self.cancelled else CampaignStatus.COMPLETED,
        }[self.phase]
        assert c.status is expected
        assert c.sending == (self.phase == 2 and not self.paused)
        assert c.finished == (self.phase == 3)
        if c.status is not CampaignStatus.PAUSED:
            assert c.pause_reason is None


CampaignMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=20)
TestCampaignMachine = CampaignMachine.TestCase


def test_illegal_move_lists_the_allowed_ones() -> None:
    result = _draft().move("start", at=AT)
    assert isinstance(result, Failure)
    assert set(result.failure().allowed) == {"schedule", "cancel"}
    assert "cannot start from draft" in str(result.failure())


def test_a_campaign_needs_a_name_a_segment_and_a_template() -> None:
    def made(name: str, segment: str, variants: dict[str, str]) -> bool:
        return isinstance(
            new_campaign(id=UUID(int=1), name=name, channels=[EMAIL], segment=segment,
                         variants=variants, at=AT),
            Success,
        )  # fmt: skip

    assert made("x", "s", {"A": "t"})
    assert not made(" ", "s", {"A": "t"})
    assert not made("x", "", {"A": "t"})
    assert not made("x", "s", {})
    assert not made("x", "s", {"a b": "t"})


@settings(max_examples=50)
@given(st.integers(0, 500), st.integers(0, 500))
def test_failure_share_pauses_only_above_five_percent(sent: int, failed: int) -> None:
    attempts = sent + failed
    expected = attempts >= 20 and failed * 100 > 5 * attempts
    assert failure_share_too_high(sent, failed) == expected


_channels = st.sampled_from(list(CampaignChannel))
_reach = st.frozensets(st.sampled_from(["email", "phone", "user_id"]))


@settings(max_examples=50)
@given(
    allowed=st.lists(_channels, min_size=1, max_size=4, unique=True),
    preferred=st.none() | st.sampled_from(["email", "sms", "phone", "push", "messenger", "in_app"]),
    reachable=_reach,
)
def test_the_preferred_channel_wins_when_allowed_and_reachable(
    allowed: list[CampaignChannel], preferred: str | None, reachable: frozenset[str]
) -> None:
    needs = {"email": "email", "sms": "phone", "call_list": "phone", "push": "user_id",
             "in_app": "user_id", "messenger": "user_id"}  # fmt: skip
    wish = {"phone": "call_list"}.get(preferred or "", preferred)
    chosen = pick_channel(allowed, preferred, reachable)
    usable = [c for c in allowed if needs[c.value] in reachable]
    if not usable:
        assert chosen is None
    elif wish in [c.value for c in usable]:
        assert chosen is not None
        assert chosen.value == wish
    else:
        assert chosen == usable[0]


def test_rfm_segments_get_their_reactivation_channels_by_default() -> None:
    push, messenger = CampaignChannel.PUSH, CampaignChannel.MESSENGER
    assert default_channels("drifting") == (push,)
    assert default_channels("At risk") == (push, messenger)
    assert default_channels("sleeping") == (messenger,)
    assert default_channels("lost") == (messenger, CampaignChannel.CALL_LIST)
    assert default_channels("vip") == (EMAIL,)
    assert default_channels("my saved segment") == (EMAIL,)
