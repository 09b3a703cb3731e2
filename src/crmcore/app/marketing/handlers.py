"""Marketing reactions: opens and clicks (from the event pipeline) count on the
campaign's deliveries; a purchase within :data:`CONVERSION_WINDOW` of a delivery counts
as that campaign's conversion."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from crmcore.app.marketing.campaigns import reach
from crmcore.domain.campaign import CampaignStatus
from crmcore.domain.clv_status import ClvStatusDetected
from crmcore.domain.date_trigger import firing_key
from crmcore.domain.funnel import FunnelStage
from crmcore.domain.health import ChurnRiskDetected, RiskLevel
from crmcore.domain.ids import ContactId
from crmcore.domain.interactions import (
    CustomerStatusChanged,
    EmailClicked,
    EmailOpened,
    FunnelStageChanged,
    PurchaseRecorded,
)
from crmcore.domain.lead import LeadConverted
from crmcore.domain.offers import (
    HIGH_VALUE_CALL,
    USAGE_LIMIT,
    UsageLimitReached,
    churn_trigger,
    high_value,
)
from crmcore.domain.scoring import LeadScoreThresholdCrossed
from crmcore.domain.unsubscribe import Unsubscribed
from crmcore.ports.marketing import Delivery, DeliveryStatus, Engagement, PlannedDelivery
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App

#: How long after a delivery a purchase still counts as its campaign's conversion.
CONVERSION_WINDOW = timedelta(days=30)


def _by_campaign(events: Sequence[EmailOpened | EmailClicked]) -> dict[UUID, list[ContactId]]:
    out: dict[UUID, list[ContactId]] = defaultdict(list)
    for e in events:
        if not e.campaign_id:
            continue
        try:
            out[UUID(e.campaign_id)].append(e.contact_id)
        except ValueError:
            continue  # a campaign id from another system
    return out


def count_opens(app: App, uow: UnitOfWork, events: Sequence[EmailOpened]) -> None:
    """Each contact's first open of a campaign counts once."""
    for campaign_id, contacts in _by_campaign(events).items():
        uow.deliveries.engage(campaign_id, contacts, Engagement.OPENED, at=app.clock.now())


def count_clicks(app: App, uow: UnitOfWork, events: Sequence[EmailClicked]) -> None:
    """Each contact's first click in a campaign counts once (a click implies an open)."""
    for campaign_id, contacts in _by_campaign(events).items():
        now = app.clock.now()
        uow.deliveries.engage(campaign_id, contacts, Engagement.OPENED, at=now)
        uow.deliveries.engage(campaign_id, contacts, Engagement.CLICKED, at=now)


def count_conversions(app: App, uow: UnitOfWork, events: Sequence[PurchaseRecorded]) -> None:
    """A purchase converts the campaigns sent to the buyer in the window before it."""
    sent: dict[ContactId, list[Delivery]] = defaultdict(list)
    for d in uow.deliveries.for_contacts([e.contact_id for e in events]):
        if d.status is DeliveryStatus.SENT:
            sent[d.contact_id].append(d)
    if not sent:
        return
    converted: dict[UUID, set[ContactId]] = defaultdict(set)
    for e in events:
        for d in sent.get(e.contact_id, ()):
            if d.at <= e.occurred_at <= d.at + CONVERSION_WINDOW:
                converted[d.campaign_id].add(e.contact_id)
    for campaign_id, contacts in converted.items():
        uow.deliveries.engage(
            campaign_id, sorted(contacts, key=str), Engagement.CONVERTED, at=app.clock.now()
        )


def _enrol(app: App, uow: UnitOfWork, trigger: str, contacts: Sequence[ContactId]) -> None:
    sequences = [
        c
        for c in uow.campaigns.list(status=CampaignStatus.RUNNING)
        if c.is_sequence and c.trigger == trigger
    ]
    for sequence in sequences:
        uow.enrollments.enroll(sequence.id, contacts, at=app.clock.now())


def enrol_on_funnel(app: App, uow: UnitOfWork, events: Sequence[FunnelStageChanged]) -> None:
    """A contact reaching a funnel stage joins the sequences triggered by
    ``funnel:<stage>`` (the shipped onboarding: ``funnel:lead``). A batch reports each
    contact's net move, so a move that passes the stage (visitor → trial) counts too."""
    order = [s.value for s in FunnelStage]
    by_stage: dict[str, list[ContactId]] = defaultdict(list)
    for e in events:
        if e.previous not in order or e.stage not in order:
            continue
        for stage in order[order.index(e.previous) + 1 : order.index(e.stage) + 1]:
            by_stage[stage].append(e.contact_id)
    for stage, contacts in by_stage.items():
        _enrol(app, uow, f"funnel:{stage}", contacts)


def enrol_on_status(app: App, uow: UnitOfWork, events: Sequence[CustomerStatusChanged]) -> None:
    """A contact whose status turns ``hot`` or ``leaving`` (or any other) joins the
    sequences triggered by ``status:<status>`` (an offer, a win-back)."""
    by_status: dict[str, list[ContactId]] = defaultdict(list)
    for e in events:
        by_status[e.status].append(e.contact_id)
    for status, contacts in by_status.items():
        _enrol(app, uow, f"status:{status}", contacts)


def enrol_on_clv_status(app: App, uow: UnitOfWork, events: Sequence[ClvStatusDetected]) -> None:
    """A customer given a CLV status (``hot`` → an offer, ``leaving`` → a win-back) joins
    the sequences triggered by ``clv:<status>``."""
    by_status: dict[str, list[ContactId]] = defaultdict(list)
    for e in events:
        by_status[e.status].append(ContactId(e.customer))
    for status, contacts in by_status.items():
        _enrol(app, uow, f"clv:{status}", contacts)


def enrol_on_score(app: App, uow: UnitOfWork, events: Sequence[LeadScoreThresholdCrossed]) -> None:
    """A lead whose score rose above the hot threshold (80 by default) joins the
    sequences triggered by ``score`` as the contact with its e-mail (a lead not yet a
    contact has no one to enrol)."""
    contacts: list[ContactId] = []
    for e in events:
        lead = uow.leads.get(e.lead_id)
        contact = (
            next(iter(uow.contacts.find_many(emails=[lead.email])), None)
            if lead is not None
            else None
        )
        if contact is not None:
            contacts.append(contact.id)
    if contacts:
        _enrol(app, uow, "score", contacts)


def enrol_on_conversion(app: App, uow: UnitOfWork, events: Sequence[LeadConverted]) -> None:
    """A lead converted into a contact (the lifecycle step lead → contact/customer) joins
    the sequences triggered by ``converted``."""
    _enrol(app, uow, "converted", [e.contact_id for e in events])


def leave_on_unsubscribe(app: App, uow: UnitOfWork, events: Sequence[Unsubscribed]) -> None:
    """An unsubscribed contact leaves every running sequence it is in (reason
    ``unsubscribed``) at once, not only when the sequence's next step falls due."""
    who = {c for e in events for c in e.contacts}
    if not who:
        return
    now = app.clock.now()
    for sequence in uow.campaigns.list(status=CampaignStatus.RUNNING):
        if not sequence.is_sequence:
            continue
        members = [m.contact_id for m in uow.enrollments.active(sequence.id) if m.contact_id in who]
        if members:
            uow.enrollments.leave(sequence.id, members, reason="unsubscribed", at=now)


def offer_retention(app: App, uow: UnitOfWork, events: Sequence[ChurnRiskDetected]) -> None:
    """A customer at risk joins the retention sequence of the risk's reason
    (``churn:<reason>``: the shipped offers are in ``retention-offers.json``); a
    high-value one (top 20 % by CLV) whose risk is red also gets a personal call
    (``churn:high_value``)."""
    by_reason: dict[str, list[ContactId]] = defaultdict(list)
    red: list[ContactId] = []
    for e in events:
        by_reason[e.reason].append(e.customer)
        if e.level == RiskLevel.RED.value:
            red.append(e.customer)
    for reason, contacts in by_reason.items():
        _enrol(app, uow, churn_trigger(reason), contacts)
    if red:
        values = {
            p.prediction.customer_id: float(p.prediction.clv)
            for p in uow.clv.predictions()
            if p.prediction.clv is not None
        }
        top = high_value(values)
        calls = [c for c in dict.fromkeys(red) if str(c) in top]
        if calls:
            _enrol(app, uow, HIGH_VALUE_CALL, calls)


def prompt_on_usage_limit(app: App, uow: UnitOfWork, events: Sequence[UsageLimitReached]) -> None:
    """A customer who reached a usage limit gets the running ``usage_limit`` sequences'
    in-app prompt, planned for the send worker; the delivery is keyed by the day (see
    :func:`crmcore.domain.date_trigger.firing_key`), so a customer hitting limits all day
    is prompted once that day. A customer the app cannot reach (no user id) is skipped."""
    now = app.clock.now()
    who = list(dict.fromkeys(e.customer for e in events))
    contacts = [c for c in uow.contacts.get_many(who) if not c.archived]
    for sequence in uow.campaigns.list(status=CampaignStatus.RUNNING):
        if not (sequence.is_sequence and sequence.trigger == USAGE_LIMIT):
            continue
        planned = []
        for contact in contacts:
            where = reach(sequence, contact)
            if where is not None:
                planned.append(PlannedDelivery(contact_id=contact.id, address=where[1],
                                               channel=where[0], variant="s1"))  # fmt: skip
        if planned:
            uow.deliveries.plan(sequence.id, firing_key(now.date()), planned, at=now)
