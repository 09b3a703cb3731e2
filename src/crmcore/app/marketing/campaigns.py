"""Use cases of campaigns: create, schedule (every variable checked against the
audience), start (deliveries planned), pause, resume, cancel, stats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.marketing.audience import (
    audience,
    missing_reference,
    recipients,
    template_context,
    variant_for,
)
from crmcore.app.marketing.templates import engine
from crmcore.domain.abtest import AbRule, winner
from crmcore.domain.campaign import (
    NEEDS,
    Campaign,
    CampaignChannel,
    default_channels,
    new_campaign,
    pick_channel,
)
from crmcore.domain.contact import Contact
from crmcore.domain.errors import RuleViolation
from crmcore.domain.templates import TemplateRejected
from crmcore.ports.marketing import DeliveryStatus, Engagement, PlannedDelivery
from crmcore.ports.uow import UnitOfWork


def create_campaign(
    app: App,
    *,
    name: str,
    template: str,
    segment: str,
    channels: Sequence[CampaignChannel] | None = None,
    variants: Mapping[str, str] | None = None,
    kind: str = "broadcast",
    ab: AbRule | None = None,
) -> Result[Campaign, AppError]:
    """A draft campaign. Without ``variants`` its one variant ``A`` is ``template``; with
    them, ``A`` is ``template`` unless named, and every template must exist. Without
    ``channels``: the reactivation channels of an RFM segment, else e-mail."""
    chosen: dict[str, str] = {"A": template}
    if variants:
        chosen.update(variants)

    def work(uow: UnitOfWork) -> Result[Campaign, AppError]:
        for tpl in dict.fromkeys(chosen.values()):
            if uow.templates.get(tpl) is None:
                return Failure(NotFound(kind="template", key=tpl))
        found = audience(uow, segment, now=app.clock.now())
        if isinstance(found, Failure):
            return Failure(found.failure())
        made = new_campaign(
            id=app.ids.new(),
            name=name,
            channels=channels or default_channels(segment),
            segment=segment,
            variants=chosen,
            at=app.clock.now(),
            kind=kind,
            ab=ab,
        )
        if isinstance(made, Failure):
            return Failure(made.failure())
        uow.campaigns.add(made.unwrap())
        return Success(made.unwrap())

    return transact(app, work)


def get_campaign(app: App, *, campaign_id: UUID) -> Result[Campaign, AppError]:
    """One campaign."""

    def work(uow: UnitOfWork) -> Result[Campaign, AppError]:
        found = uow.campaigns.get(campaign_id)
        return Success(found) if found else Failure(NotFound(kind="campaign", key=str(campaign_id)))

    return transact(app, work, commit=False)


def list_campaigns(app: App) -> Result[list[Campaign], AppError]:
    """Every campaign, oldest first."""
    return transact(app, lambda uow: Success(list(uow.campaigns.list())), commit=False)


def check_audience(app: App, uow: UnitOfWork, campaign: Campaign) -> Result[int, AppError]:
    """Every template of the campaign against every member of its audience: the first
    reference a member lacks is the error; else the audience's size."""
    found = audience(uow, campaign.segment, now=app.clock.now())
    if isinstance(found, Failure):
        return Failure(found.failure())
    members = found.unwrap()
    refs: dict[str, frozenset[str]] = {}
    for tpl_name in dict.fromkeys(campaign.variants.values()):
        tpl = uow.templates.get(tpl_name)
        if tpl is None:
            return Failure(NotFound(kind="template", key=tpl_name))
        try:
            refs[tpl_name] = engine(app).check(tpl.subject) | engine(app).check(tpl.body)
        except TemplateRejected as exc:
            return Failure(RuleViolation(rule="template", detail=f"{tpl_name!r}: {exc}"))
    for start in range(0, len(members), 1_000):
        chunk = members[start : start + 1_000]
        for contact_id, r in recipients(uow, chunk).items():
            context = template_context(r, "")
            # any variant may reach anyone (the held-back part gets the winner)
            for tpl_name, tpl_refs in refs.items():
                missing = missing_reference(context, tpl_refs)
                if missing is not None:
                    return Failure(
                        RuleViolation(
                            rule="template variables",
                            detail=f"template {tpl_name!r} uses {missing}, which contact "
                            f"{contact_id} of segment {campaign.segment!r} does not have",
                        )
                    )
    return Success(len(members))


def _move(
    app: App,
    campaign_id: UUID,
    move: str,
    before: Any = None,
    after: Any = None,
    *,
    reason: str | None = None,
) -> Result[Campaign, AppError]:
    def work(uow: UnitOfWork) -> Result[Campaign, AppError]:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            return Failure(NotFound(kind="campaign", key=str(campaign_id)))
        if before is not None:
            checked = before(uow, campaign)
            if isinstance(checked, Failure):
                return Failure(checked.failure())
        moved = campaign.move(move, at=app.clock.now(), reason=reason)
        if isinstance(moved, Failure):
            return Failure(moved.failure())
        updated = moved.unwrap()
        if after is not None:
            updated = after(uow, updated)
        uow.campaigns.save(updated)
        return Success(updated)

    return transact(app, work)


def schedule_campaign(
    app: App, *, campaign_id: UUID, at: datetime | None = None
) -> Result[Campaign, AppError]:
    """Check every template variable against the audience, then schedule the campaign to
    start at ``at`` (now by default; the send worker starts it when the time comes)."""

    def check(uow: UnitOfWork, campaign: Campaign) -> Result[int, AppError]:
        return check_audience(app, uow, campaign)

    def when(uow: UnitOfWork, campaign: Campaign) -> Campaign:
        return attrs.evolve(campaign, scheduled_at=at or app.clock.now())

    return _move(app, campaign_id, "schedule", check, when)


def reach(campaign: Campaign, contact: Contact) -> tuple[CampaignChannel, str] | None:
    """The channel and address a campaign reaches a contact on (its preferred channel
    among the campaign's when it is reachable there), or None."""
    have = {
        k
        for k, v in (
            ("email", contact.email),
            ("phone", contact.phone),
            ("user_id", contact.user_id),
        )
        if v
    }
    preferred = contact.preferred_channel.value if contact.preferred_channel else None
    channel = pick_channel(campaign.channels, preferred, have)
    if channel is None:
        return None
    address = {
        "email": str(contact.email) if contact.email else "",
        "phone": contact.phone.e164 if contact.phone else "",
        "user_id": contact.user_id or "",
    }[NEEDS[channel]]
    return channel, address


def plan_deliveries(app: App, uow: UnitOfWork, campaign: Campaign) -> int:
    """Record a pending delivery for every member of the audience the campaign can reach
    (each on its preferred channel among the campaign's); returns how many were new."""
    found = audience(uow, campaign.segment, now=app.clock.now())
    members = found.unwrap() if isinstance(found, Success) else []
    planned: list[PlannedDelivery] = []
    for start in range(0, len(members), 1_000):
        chunk = members[start : start + 1_000]
        for contact_id, r in recipients(uow, chunk).items():
            reached = reach(campaign, r.contact)
            if reached is None:
                continue
            planned.append(
                PlannedDelivery(
                    contact_id=contact_id,
                    address=reached[1],
                    channel=reached[0],
                    variant=variant_for(campaign, contact_id),
                )
            )
    return uow.deliveries.plan(campaign.id, 0, planned, at=app.clock.now())


def start_campaign(app: App, *, campaign_id: UUID) -> Result[Campaign, AppError]:
    """Start a scheduled campaign now: its deliveries are planned in the same
    transaction, and the send worker sends them."""

    def plan(uow: UnitOfWork, campaign: Campaign) -> Campaign:
        plan_deliveries(app, uow, campaign)
        return campaign

    return _move(app, campaign_id, "start", after=plan)


def pause_campaign(
    app: App, *, campaign_id: UUID, reason: str = "paused by the operator"
) -> Result[Campaign, AppError]:
    """Stop sending (deliveries already claimed finish)."""
    return _move(app, campaign_id, "pause", reason=reason)


def resume_campaign(app: App, *, campaign_id: UUID) -> Result[Campaign, AppError]:
    """Send again."""
    return _move(app, campaign_id, "resume")


def cancel_campaign(app: App, *, campaign_id: UUID) -> Result[Campaign, AppError]:
    """Stop for good: pending deliveries are skipped."""

    def skip(uow: UnitOfWork, campaign: Campaign) -> Campaign:
        uow.deliveries.skip_pending(campaign.id, at=app.clock.now())
        return campaign

    return _move(app, campaign_id, "cancel", after=skip)


def decide(app: App, uow: UnitOfWork, campaign: Campaign, forced: str | None = None) -> Campaign:
    """The campaign with its A/B winner once the rule (or the operator, ``forced``) has
    one: the held-back deliveries get the winner and become due."""
    if campaign.winner is not None or len(campaign.variants) < 2:
        return campaign
    chosen = forced or winner(
        uow.deliveries.arms(campaign.id, Engagement(campaign.ab.metric)), campaign.ab
    )
    if chosen is None:
        return campaign
    uow.deliveries.release_held(campaign.id, chosen, at=app.clock.now())
    return attrs.evolve(campaign, winner=chosen, updated_at=app.clock.now())


def decide_campaign(
    app: App, *, campaign_id: UUID, variant: str | None = None
) -> Result[Campaign, AppError]:
    """Apply the winner rule now, or make ``variant`` the winner by hand."""

    def work(uow: UnitOfWork) -> Result[Campaign, AppError]:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            return Failure(NotFound(kind="campaign", key=str(campaign_id)))
        if variant is not None and variant not in campaign.variants:
            allowed = ", ".join(campaign.variants)
            return Failure(RuleViolation(rule="variant", detail=f"{variant!r}: one of {allowed}"))
        if campaign.winner is not None:
            return Failure(RuleViolation(rule="A/B test", detail=f"decided: {campaign.winner}"))
        decided = decide(app, uow, campaign, variant)
        if decided.winner is not None:
            uow.campaigns.save(decided)
        return Success(decided)

    return transact(app, work)


@attrs.frozen(kw_only=True)
class CampaignStats:
    """A campaign's numbers."""

    campaign: Campaign
    planned: int
    pending: int
    sent: int
    failed: int
    suppressed: int
    unsubscribed: int
    opened: int
    clicked: int
    converted: int
    held: int = 0
    delivered: int = 0
    bounced: int = 0
    arms: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``crm campaigns stats --format json``)."""
        c = self.campaign
        return {
            "id": str(c.id),
            "name": c.name,
            "status": c.status.value,
            "pause_reason": c.pause_reason,
            **attrs.asdict(self, recurse=False, filter=lambda _, v: isinstance(v, int)),
            "winner": c.winner,
            "variants": {
                v: {
                    "template": t,
                    "sent": self.arms.get(v, (0, 0))[0],
                    c.ab.metric: self.arms.get(v, (0, 0))[1],
                }
                for v, t in c.variants.items()
            },
        }


def campaign_stats(app: App, *, campaign_id: UUID) -> Result[CampaignStats, AppError]:
    """Sent (accepted by the channel), of those delivered and bounced (a DSN came
    back), failed (refused by the channel, or bounced), suppressed (unsubscribed before
    it went), opened, clicked and converted (the last three counted by the event
    pipeline's reactions)."""

    def work(uow: UnitOfWork) -> Result[CampaignStats, AppError]:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            return Failure(NotFound(kind="campaign", key=str(campaign_id)))
        counts = uow.deliveries.counts(campaign_id)
        suppressed = counts.count(DeliveryStatus.SUPPRESSED)
        delivered, bounced = counts.count(DeliveryStatus.SENT), counts.count(DeliveryStatus.BOUNCED)
        return Success(
            CampaignStats(
                campaign=campaign,
                planned=sum(counts.by_status.values()),
                pending=counts.count(DeliveryStatus.PENDING) + counts.count(DeliveryStatus.SENDING),
                sent=delivered + bounced,
                delivered=delivered,
                bounced=bounced,
                failed=counts.count(DeliveryStatus.FAILED) + bounced,
                suppressed=suppressed,
                unsubscribed=suppressed,
                opened=counts.opened,
                clicked=counts.clicked,
                converted=counts.converted,
                held=counts.count(DeliveryStatus.HELD),
                arms=uow.deliveries.arms(campaign_id, Engagement(campaign.ab.metric)),
            )
        )

    return transact(app, work, commit=False)


@attrs.frozen(kw_only=True)
class ScenarioLine:
    """How one campaign or sequence (a scenario) performs."""

    id: UUID
    name: str
    kind: str
    entry: str  # the segment of a campaign, the trigger of a sequence
    status: str
    sent: int
    opened: int
    clicked: int
    converted: int
    failed: int = 0

    @property
    def conversion(self) -> float:
        """Converted per sent (0 when nothing was sent)."""
        return self.converted / self.sent if self.sent else 0.0

    def rate(self, count: int) -> float:
        """``count`` per sent (0 when nothing was sent)."""
        return count / self.sent if self.sent else 0.0

    @property
    def failure_rate(self) -> float:
        """Failed per attempted (sent or failed; 0 when nothing was attempted)."""
        attempted = self.sent + self.failed
        return self.failed / attempted if attempted else 0.0


def effectiveness(
    app: App, *, since: datetime | None = None, until: datetime | None = None
) -> Result[list[ScenarioLine], AppError]:
    """Every campaign and sequence with its sent, opened, clicked and converted counts,
    best conversion rate first: which trigger or sequence converts. ``since``/``until``
    keep the deliveries sent (or failed) at ``since <= at < until``."""

    def work(uow: UnitOfWork) -> Result[list[ScenarioLine], AppError]:
        lines = []
        for c in uow.campaigns.list():
            counts = uow.deliveries.counts(c.id, since=since, until=until)
            lines.append(
                ScenarioLine(
                    id=c.id,
                    name=c.name,
                    kind=c.kind,
                    entry=c.trigger if c.is_sequence else f"segment:{c.segment}",
                    status=c.status.value,
                    sent=counts.count(DeliveryStatus.SENT),
                    opened=counts.opened,
                    clicked=counts.clicked,
                    converted=counts.converted,
                    failed=counts.count(DeliveryStatus.FAILED),
                )
            )
        return Success(sorted(lines, key=lambda x: (-x.conversion, -x.sent, x.name)))

    return transact(app, work, commit=False)
