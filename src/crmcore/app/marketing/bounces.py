"""Asynchronous bounces: delivery status notifications that arrive after the SMTP
server accepted a message mark its delivery ``bounced``; a hard bounce also suppresses
the address (source ``bounce``). A campaign whose failures and bounces pass the limit
pauses itself, as during sending."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import attrs
from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.app.marketing.unsubscribe import withdraw
from crmcore.domain.bounces import Bounce, BounceKind
from crmcore.domain.campaign import CampaignChannel, CampaignStatus, failure_share_too_high
from crmcore.domain.email import Email
from crmcore.ports.marketing import DeliveryStatus
from crmcore.ports.uow import UnitOfWork


@attrs.define
class BounceReport:
    """What one batch of reports changed."""

    reports: int = 0  # per-recipient reports read
    hard: int = 0  # deliveries bounced for good (address suppressed)
    soft: int = 0  # deliveries bounced, address kept
    ignored: int = 0  # delayed or delivered reports, and hard/soft ones for no delivery of ours
    suppressed: list[str] = attrs.field(factory=list)
    paused: list[tuple[str, str]] = attrs.field(factory=list)


def delivery_of(message_id: str) -> UUID | None:
    """The delivery a Message-ID of ours names (``<delivery id@domain>``), else None."""
    local = message_id.strip().strip("<>").split("@", 1)[0]
    try:
        return UUID(local)
    except ValueError:
        return None


def record_bounces(app: App, bounces: Sequence[Bounce]) -> Result[BounceReport, AppError]:
    """Mark the bounced deliveries, suppress hard-bounced addresses, pause campaigns
    over the failure limit; all in one transaction. Recording the same reports again
    changes nothing."""

    def work(uow: UnitOfWork) -> Result[BounceReport, AppError]:
        report = BounceReport(reports=len(bounces))
        wanted: list[tuple[UUID, str, str]] = []
        kinds: dict[UUID, BounceKind] = {}
        for b in bounces:
            key = delivery_of(b.message_id)
            if b.kind is BounceKind.NONE or key is None or key in kinds:
                report.ignored += 1
                continue
            kinds[key] = b.kind
            wanted.append((key, b.message_id.strip(), b.reason))
        now = app.clock.now()
        changed = uow.deliveries.bounce(wanted, at=now)
        report.ignored += len(wanted) - len(changed)
        for d in changed:
            if kinds[d.id] is BounceKind.SOFT:
                report.soft += 1
                continue
            report.hard += 1
            if d.channel is CampaignChannel.EMAIL and d.address not in report.suppressed:
                parsed = Email.parse(d.address)
                address = parsed.unwrap().value if isinstance(parsed, Success) else d.address
                withdraw(app, uow, address=address, channel=d.channel, source="bounce")
                report.suppressed.append(d.address)
        for campaign_id in sorted({d.campaign_id for d in changed}):
            campaign = uow.campaigns.get(campaign_id)
            if campaign is None or campaign.status is not CampaignStatus.RUNNING:
                continue
            counts = uow.deliveries.counts(campaign_id)
            failed = counts.count(DeliveryStatus.FAILED) + counts.count(DeliveryStatus.BOUNCED)
            sent = counts.count(DeliveryStatus.SENT)
            if failure_share_too_high(sent, failed):
                reason = (
                    f"{failed} of {sent + failed} deliveries failed or bounced "
                    f"({100 * failed / (sent + failed):.1f} %, above 5 %): check the list, "
                    "then `crm campaigns resume`"
                )
                moved = campaign.move("pause", at=now, reason=reason)
                if isinstance(moved, Success):
                    uow.campaigns.save(moved.unwrap())
                    report.paused.append((str(campaign_id), reason))
        return Success(report)

    return transact(app, work)
