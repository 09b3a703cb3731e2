"""Campaigns: a message to an audience over a channel, and the life it goes through.

``draft → scheduled → running ⇄ paused → completed``; ``cancel`` from every state that is
not terminal. A campaign holds the names of what it uses (segment, templates), never
copies of them: the application resolves them when it schedules and starts it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.abtest import AbRule
from crmcore.domain.errors import IllegalTransition, RuleViolation
from crmcore.domain.sequence import DripStep, SequenceGoal
from crmcore.domain.statemachine import Machine


class CampaignStatus(StrEnum):
    """Where a campaign is."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CampaignChannel(StrEnum):
    """The channels a message can go out on (PRODUCT.md C5)."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    MESSENGER = "messenger"
    IN_APP = "in_app"
    CALL_LIST = "call_list"


_S = CampaignStatus
CAMPAIGN_STATUS = Machine[CampaignStatus](
    "campaign",
    {
        (_S.DRAFT, "schedule"): _S.SCHEDULED,
        (_S.DRAFT, "cancel"): _S.CANCELLED,
        (_S.SCHEDULED, "start"): _S.RUNNING,
        (_S.SCHEDULED, "cancel"): _S.CANCELLED,
        (_S.RUNNING, "pause"): _S.PAUSED,
        (_S.RUNNING, "complete"): _S.COMPLETED,
        (_S.RUNNING, "cancel"): _S.CANCELLED,
        (_S.PAUSED, "resume"): _S.RUNNING,
        (_S.PAUSED, "cancel"): _S.CANCELLED,
    },
)

#: The kind of a drip sequence stored as a campaign.
SEQUENCE_KIND = "sequence"

#: Share of failed deliveries above which a running campaign pauses itself.
FAILURE_LIMIT = 0.05
#: Attempts a campaign must have made before the failure share can pause it.
FAILURE_MIN_ATTEMPTS = 20


def variant_name_ok(name: str) -> bool:
    """A variant name: 1-50 letters, digits, ``_`` or ``-``."""
    return 0 < len(name) <= 50 and all(c.isalnum() or c in "_-" for c in name)


@attrs.frozen(kw_only=True)
class Campaign:
    """One campaign. ``variants`` maps a variant name to its template's name; a
    campaign without A/B variants has one, ``"A"``, the main template. ``channels``
    lists the channels it may use, first the default (each contact's preferred one wins
    when it is among them, PRODUCT.md C5)."""

    id: UUID
    name: str
    channels: tuple[CampaignChannel, ...]
    segment: str
    variants: Mapping[str, str]
    kind: str = "broadcast"
    status: CampaignStatus = CampaignStatus.DRAFT
    pause_reason: str | None = None
    ab: AbRule = AbRule()  # how the variants are tested (with more than one)
    winner: str | None = None  # the variant the held-back audience gets
    steps: tuple[DripStep, ...] = ()  # a drip sequence's steps (kind "sequence")
    goal: SequenceGoal = SequenceGoal.NONE  # what takes a contact out of the sequence
    trigger: str = "manual"  # what enrols contacts: manual, funnel:STAGE, status:S, score
    scheduled_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @property
    def channel(self) -> CampaignChannel:
        """The default channel."""
        return self.channels[0]

    @property
    def template(self) -> str:
        """The first variant's template (the only one without A/B)."""
        return next(iter(self.variants.values()))

    def move(
        self, move: str, *, at: datetime, reason: str | None = None
    ) -> Result[Campaign, IllegalTransition]:
        """The campaign after ``move`` (``schedule``, ``start``, ``pause``, ``resume``,
        ``complete``, ``cancel``); a pause keeps its ``reason``."""
        fired = CAMPAIGN_STATUS.fire(self.status, move)
        if isinstance(fired, Failure):
            return Failure(fired.failure())
        status = fired.unwrap()
        changes: dict[str, object] = {"status": status, "updated_at": at}
        changes["pause_reason"] = reason if status is CampaignStatus.PAUSED else None
        if move == "schedule":
            changes["scheduled_at"] = at
        if move == "start" and self.sent_at is None:
            changes["sent_at"] = at
        return Success(attrs.evolve(self, **changes))  # type: ignore[arg-type]

    @property
    def is_sequence(self) -> bool:
        """True for a drip sequence (contacts join over time; it never completes)."""
        return self.kind == SEQUENCE_KIND

    @property
    def sending(self) -> bool:
        """True while its deliveries may go out."""
        return self.status is CampaignStatus.RUNNING

    @property
    def finished(self) -> bool:
        """True in a terminal state."""
        return CAMPAIGN_STATUS.is_terminal(self.status)


def new_campaign(
    *,
    id: UUID,
    name: str,
    channels: Sequence[CampaignChannel],
    segment: str,
    variants: Mapping[str, str],
    at: datetime,
    kind: str = "broadcast",
    ab: AbRule | None = None,
) -> Result[Campaign, RuleViolation]:
    """A draft campaign, or why not (an empty name, no template, a bad variant name)."""
    if not name.strip() or len(name) > 300:
        return Failure(RuleViolation(rule="campaign name", detail="1-300 characters"))
    if not segment.strip():
        return Failure(RuleViolation(rule="campaign audience", detail="a segment is required"))
    if not channels:
        return Failure(RuleViolation(rule="campaign channel", detail="a channel is required"))
    if not variants:
        return Failure(RuleViolation(rule="campaign template", detail="a template is required"))
    rule = ab or AbRule()
    if not (0 < rule.test_share <= 1 and rule.min_sample >= 1 and 0 < rule.level < 1):
        return Failure(
            RuleViolation(
                rule="A/B test", detail="test share in (0, 1], min sample >= 1, level in (0, 1)"
            )
        )
    if rule.metric not in ("opened", "clicked", "converted"):
        return Failure(
            RuleViolation(rule="A/B test", detail="metric: opened, clicked or converted")
        )
    bad = [v for v in variants if not variant_name_ok(v)]
    if bad:
        return Failure(
            RuleViolation(rule="variant name", detail=f"{bad[0]!r}: 1-50 letters, digits, _ or -")
        )
    return Success(
        Campaign(
            id=id,
            name=name.strip(),
            channels=tuple(dict.fromkeys(channels)),
            segment=segment.strip(),
            variants=dict(variants),
            kind=kind,
            ab=rule,
            created_at=at,
            updated_at=at,
        )
    )


def failure_share_too_high(sent: int, failed: int) -> bool:
    """True when enough attempts were made and more than :data:`FAILURE_LIMIT` failed."""
    attempts = sent + failed
    return attempts >= FAILURE_MIN_ATTEMPTS and failed > FAILURE_LIMIT * attempts


#: What a contact needs to be reachable on a channel.
NEEDS: Mapping[CampaignChannel, str] = {
    CampaignChannel.EMAIL: "email",
    CampaignChannel.SMS: "phone",
    CampaignChannel.CALL_LIST: "phone",
    CampaignChannel.PUSH: "user_id",
    CampaignChannel.IN_APP: "user_id",
    CampaignChannel.MESSENGER: "user_id",
}

#: A contact's preferred channel (``crmcore.domain.contact.Channel`` values) as a
#: campaign channel: ``phone`` is the call list.
PREFERRED: Mapping[str, CampaignChannel] = {
    "email": CampaignChannel.EMAIL,
    "sms": CampaignChannel.SMS,
    "phone": CampaignChannel.CALL_LIST,
    "push": CampaignChannel.PUSH,
    "messenger": CampaignChannel.MESSENGER,
    "in_app": CampaignChannel.IN_APP,
}


def pick_channel(
    allowed: Sequence[CampaignChannel], preferred: str | None, reachable: Collection[str]
) -> CampaignChannel | None:
    """The channel to reach a contact on: the preferred one when the campaign allows it
    and the contact is reachable there, else the first allowed channel the contact is
    reachable on (``reachable`` names what it has: ``email``, ``phone``, ``user_id``);
    None when there is none."""
    wish = PREFERRED.get(preferred) if preferred is not None else None
    if wish is not None and wish in allowed and NEEDS[wish] in reachable:
        return wish
    for channel in allowed:
        if NEEDS[channel] in reachable:
            return channel
    return None


#: Reactivation channels per RFM segment by default (PRODUCT.md C7): a campaign to one
#: of these segments without channels of its own uses them (each contact's preferred
#: one among them wins). Lost customers: the messenger, else the call list.
REACTIVATION: Mapping[str, tuple[CampaignChannel, ...]] = {
    "drifting": (CampaignChannel.PUSH,),
    "at_risk": (CampaignChannel.PUSH, CampaignChannel.MESSENGER),
    "sleeping": (CampaignChannel.MESSENGER,),
    "lost": (CampaignChannel.MESSENGER, CampaignChannel.CALL_LIST),
}


def default_channels(segment: str) -> tuple[CampaignChannel, ...]:
    """The channels of a campaign to ``segment`` that names none: the reactivation
    mapping for an RFM segment in it, else e-mail."""
    key = segment.strip().lower().replace(" ", "_").replace("-", "_")
    return REACTIVATION.get(key, (CampaignChannel.EMAIL,))
