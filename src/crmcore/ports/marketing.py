"""Ports of marketing automation: templates, campaigns, deliveries, suppressions,
the template engine and the channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

import attrs

from crmcore.domain.campaign import Campaign, CampaignChannel, CampaignStatus
from crmcore.domain.ids import ContactId
from crmcore.domain.templates import MessageTemplate


class TemplateEngine(Protocol):
    """Parses and renders templates in a sandbox."""

    def check(self, source: str) -> frozenset[str]:
        """The dotted references of ``source`` (``contact.first_name``, ...); raises
        ``TemplateRejected`` for bad syntax, an unknown root or a reach for internals."""
        ...

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """``source`` rendered; raises ``MissingVariable`` for an undefined reference."""
        ...


class TemplateRepository(Protocol):
    """Message templates by name."""

    def get(self, name: str) -> MessageTemplate | None: ...
    def add(self, template: MessageTemplate) -> None: ...
    def save(self, template: MessageTemplate) -> None: ...
    def list(self) -> Sequence[MessageTemplate]: ...


class CampaignRepository(Protocol):
    """Campaigns, versioned like every aggregate."""

    def get(self, campaign_id: UUID) -> Campaign | None: ...
    def add(self, campaign: Campaign) -> None: ...
    def save(self, campaign: Campaign) -> None: ...
    def list(self, *, status: CampaignStatus | None = None) -> Sequence[Campaign]: ...


class DeliveryStatus(StrEnum):
    """Where one message to one contact is."""

    PENDING = "pending"  # planned, not yet claimed
    SENDING = "sending"  # claimed by a worker and about to go to the channel
    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # the channel refused it for good (a bounce)
    SUPPRESSED = "suppressed"  # the address is on the suppression list
    SKIPPED = "skipped"  # the campaign was cancelled before it went
    HELD = "held"  # waits for the A/B test's winner
    BOUNCED = "bounced"  # the channel accepted it, then reported it undeliverable (a DSN)


@attrs.frozen(kw_only=True)
class PlannedDelivery:
    """One message to plan: to whom, where, which variant."""

    contact_id: ContactId
    address: str
    variant: str
    channel: CampaignChannel
    skipped: bool = False  # recorded as decided, never sent (a drip step's condition)


@attrs.frozen(kw_only=True)
class Delivery:
    """One message of one campaign (or sequence step) to one contact."""

    id: UUID
    campaign_id: UUID
    step: int
    contact_id: ContactId
    address: str
    channel: CampaignChannel
    variant: str
    status: DeliveryStatus
    at: datetime
    attempts: int = 0
    claimed_until: datetime | None = None
    message_id: str | None = None
    error: str | None = None


def delivery_id(campaign_id: UUID, step: int, contact_id: UUID) -> UUID:
    """The id of a delivery: a function of its key, the same in every store."""
    return uuid5(NAMESPACE_URL, f"crmcore:delivery:{campaign_id}:{step}:{contact_id}")


def consent_id(consent: Consent) -> UUID:
    """The id of an address's consent on a channel, the same in every store."""
    return uuid5(NAMESPACE_URL, f"crmcore:consent:{consent.channel}:{consent.address}")


def enrollment_id(sequence_id: UUID, contact_id: UUID) -> UUID:
    """The id of a contact's enrolment in a sequence, the same in every store."""
    return uuid5(NAMESPACE_URL, f"crmcore:enrollment:{sequence_id}:{contact_id}")


@attrs.frozen(kw_only=True)
class DeliveryCounts:
    """A campaign's deliveries by status, and the engagement counted on them."""

    by_status: Mapping[str, int]
    opened: int = 0
    clicked: int = 0
    converted: int = 0

    def count(self, status: DeliveryStatus) -> int:
        """How many deliveries are in ``status``."""
        return self.by_status.get(status.value, 0)


class Engagement(StrEnum):
    """What a recipient did with a message."""

    OPENED = "opened"
    CLICKED = "clicked"
    CONVERTED = "converted"


class DeliveryQueue(Protocol):
    """Deliveries, keyed by (campaign, step, contact): planning one twice keeps one."""

    def plan(
        self, campaign_id: UUID, step: int, planned: Sequence[PlannedDelivery], *, at: datetime
    ) -> int:
        """Record pending deliveries; those already recorded are kept as they are.
        Returns how many were new."""
        ...

    def claim(
        self, *, limit: int, at: datetime, lease_until: datetime, campaigns: Sequence[UUID]
    ) -> Sequence[Delivery]:
        """Up to ``limit`` pending deliveries of ``campaigns`` (and sending ones whose
        lease ran out), marked ``sending`` until ``lease_until``; on PostgreSQL rows
        another transaction holds are skipped (``FOR UPDATE SKIP LOCKED``)."""
        ...

    def finish(
        self,
        outcomes: Sequence[tuple[UUID, DeliveryStatus, str | None, str | None]],
        *,
        at: datetime,
    ) -> None:
        """Record ``(delivery id, status, message id, error)`` for claimed deliveries."""
        ...

    def release(self, delivery_ids: Sequence[UUID]) -> None:
        """Put claimed deliveries back to pending (the channel was not reached)."""
        ...

    def skip_pending(self, campaign_id: UUID, *, at: datetime) -> int:
        """Mark a campaign's pending and held deliveries skipped; returns how many."""
        ...

    def counts(
        self,
        campaign_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryCounts:
        """A campaign's deliveries by status and their engagement; with ``since``/``until``
        only the deliveries whose status last changed (sent, failed, ...) at
        ``since <= at < until``."""
        ...

    def status_counts(self, campaign_id: UUID) -> Mapping[str, int]:
        """A campaign's deliveries per status: :meth:`counts` without the engagement,
        which a store can answer from its status index alone (a send run asks after every
        batch)."""
        ...

    def open_campaigns(self, campaign_ids: Sequence[UUID]) -> set[UUID]:
        """Those of ``campaign_ids`` with deliveries still pending or sending."""
        ...

    def engage(
        self, campaign_id: UUID, contact_ids: Sequence[ContactId], what: Engagement, *, at: datetime
    ) -> int:
        """Mark the contacts' deliveries of a campaign as opened/clicked/converted (once
        each); returns how many changed."""
        ...

    def arms(self, campaign_id: UUID, metric: Engagement) -> Mapping[str, tuple[int, int]]:
        """Per variant: deliveries sent, and those of them with ``metric``."""
        ...

    def release_held(self, campaign_id: UUID, variant: str, *, at: datetime) -> int:
        """Give the held deliveries ``variant`` and make them pending; returns how many."""
        ...

    def counts_by_step(self, campaign_id: UUID) -> Mapping[int, DeliveryCounts]:
        """:meth:`counts` per step (a drip sequence's steps; 0 for a campaign)."""
        ...

    def for_contacts(self, contact_ids: Sequence[ContactId]) -> Sequence[Delivery]:
        """Every delivery to any of ``contact_ids``, ordered by id."""
        ...

    def bounce(
        self, bounces: Sequence[tuple[UUID, str, str]], *, at: datetime
    ) -> Sequence[Delivery]:
        """Mark ``(delivery id, message id, error)`` bounced: only a ``sent`` delivery
        whose stored message id is that one changes (a report for another message, or
        a second report, changes nothing). Returns the deliveries that changed, as they
        are now, ordered by id."""
        ...


@attrs.frozen(kw_only=True)
class Consent:
    """A contact address's consent on one channel, with where and when it was given."""

    address: str
    channel: CampaignChannel
    granted: bool
    source: str
    at: datetime


class ConsentRegistry(Protocol):
    """Consent per address and channel; a withdrawn consent is a suppression."""

    def record(self, consent: Consent) -> None: ...
    def suppressed(self, channel: CampaignChannel, addresses: Sequence[str]) -> set[str]:
        """Those of ``addresses`` that must not receive anything on ``channel``."""
        ...

    def suppressions(self) -> Sequence[Consent]: ...


@attrs.frozen(kw_only=True)
class OutgoingMessage:
    """One rendered message for a channel."""

    delivery_id: UUID
    to: str
    subject: str
    body: str
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class SendResult:
    """What the channel said about one message: accepted (with its id) or refused."""

    delivery_id: UUID
    accepted: bool
    message_id: str | None = None
    error: str | None = None


class ChannelUnavailable(RuntimeError):
    """The channel cannot be reached now; nothing of the batch was accepted after the
    messages reported before the error."""

    def __init__(self, detail: str, done: Sequence[SendResult] = ()) -> None:
        super().__init__(detail)
        self.done = tuple(done)


class MessageChannel(Protocol):
    """Sends a batch of messages over one channel (one connection per batch)."""

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        """One result per message, in order; raises ``ChannelUnavailable`` when the
        channel fails part way (``done`` holds the results so far)."""
        ...

    def close(self) -> None: ...


@attrs.frozen(kw_only=True)
class Enrollment:
    """A contact in a drip sequence."""

    sequence_id: UUID
    contact_id: ContactId
    joined_at: datetime
    left_at: datetime | None = None
    left_reason: str | None = None


class EnrollmentRepository(Protocol):
    """Who is in which sequence; joining twice keeps the first join."""

    def enroll(self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, at: datetime) -> int:
        """Enrol the contacts not enrolled yet; returns how many were new."""
        ...

    def active(self, sequence_id: UUID) -> Sequence[Enrollment]:
        """The contacts still in the sequence, by contact id."""
        ...

    def leave(
        self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, reason: str, at: datetime
    ) -> None: ...

    def summary(self, sequence_id: UUID) -> Mapping[str, int]:
        """``active`` and one count per reason of those who left."""
        ...
