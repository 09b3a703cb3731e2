"""Intelligence reactions: purchases become transactions; what customers do moves their
health score and lead score.

* purchases are stored as transactions (external id = the purchase's event id, so
  once), which RFM segments and CLV read;
* logins, e-mail opens and clicks, form answers (NPS) and classified feedback mark the
  customer's health for reassessment from their facts, and so does a purchase of a
  customer already assessed (:func:`mark_touched`; the event worker reassesses the marked
  customers in bulk);
* e-mail opens and clicks count on the lead with the same e-mail and rescore it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from crmcore.app.intelligence.scoring import rescore_in
from crmcore.domain.alerts import LEAD_SCORING, Measurement
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.interactions import EmailClicked, EmailOpened, PurchaseRecorded
from crmcore.domain.lead import Engagement, Lead
from crmcore.domain.money import Money
from crmcore.domain.scoring import ScoringConfig
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App


class _HasContact:
    contact_id: ContactId


def record_transactions(app: App, uow: UnitOfWork, events: Sequence[PurchaseRecorded]) -> None:
    """Store each purchase as a transaction, once (keyed by its event id: the repository
    skips external ids it holds)."""
    ids = app.ids.new_many(len(events))
    uow.transactions.add_many(
        [
            Transaction(
                id=TransactionId(i),
                customer=e.contact_id,
                occurred_at=e.occurred_at,
                amount=Money(e.amount, e.currency),
                external_id=e.event_id,
                channel=e.channel or "events",
                product=e.product,
            )
            for i, e in zip(ids, events, strict=True)
        ]
    )


def mark_touched(app: App, uow: UnitOfWork, events: Sequence[_HasContact]) -> None:
    """Mark for reassessment (``OncePerRound``) every customer the logins, opens, clicks,
    answers and feedback are about, and the buyers already assessed: a purchase is recent
    activity, but other buyers are assessed by their first login, answer or feedback, or
    by ``crm health assess``, from the same facts (an import of history costs no health
    work). The event worker reassesses the marked customers in bulk
    (:func:`~crmcore.app.intelligence.health.reassess_due`), once however many batches
    touched them (ADR 0030)."""
    buyers = {e.contact_id for e in events if isinstance(e, PurchaseRecorded)}
    touched = {e.contact_id for e in events if not isinstance(e, PurchaseRecorded)}
    only_bought = sorted(buyers - touched, key=str)
    assessed = uow.health.latest_of(only_bought) if only_bought else {}
    customers = sorted(touched | set(assessed), key=str)
    if customers:
        uow.health.mark_due(customers, at=app.clock.now())


def engagement_to_leads(
    app: App, uow: UnitOfWork, events: Sequence[EmailOpened | EmailClicked]
) -> None:
    """Count opens and clicks on the lead with the contact's e-mail, then rescore it."""
    ids = sorted({e.contact_id for e in events}, key=str)
    heads = uow.contacts.headlines(ids)  # the stored e-mail, not the whole contact
    emails = {i: Email(h.email) for i, h in heads.items() if h.email is not None}
    if not emails:
        return
    leads = {lead.email.value: lead for lead in uow.leads.find_many_by_email(list(emails.values()))}
    if not leads:
        return
    now = app.clock.now()
    changed: dict[str, Lead] = {}
    scored: list[datetime] = []
    for event in events:
        email = emails.get(event.contact_id)
        if email is None:
            continue
        lead = changed.get(email.value) or leads.get(email.value)
        if lead is None:
            continue
        scored.append(event.occurred_at)
        e = lead.engagement
        opened = isinstance(event, EmailOpened)
        last = e.last_engaged_at
        engagement = Engagement(
            page_views=e.page_views,
            downloads=e.downloads,
            email_opens=e.email_opens + (1 if opened else 0),
            email_clicks=e.email_clicks + (0 if opened else 1),
            events_attended=e.events_attended,
            last_engaged_at=max(last, event.occurred_at) if last else event.occurred_at,
        )
        changed[email.value] = attrs.evolve(lead, engagement=engagement, updated_at=now)
    config = ScoringConfig()
    for lead in changed.values():
        rescore_in(uow, lead, config=config, now=now, save=True)
    record_scoring_latency(app, uow, scored, now=now)


#: Events older than this when scored are history being loaded, not scoring latency.
LIVE = timedelta(days=1)


def record_scoring_latency(
    app: App, uow: UnitOfWork, occurred: Sequence[datetime], *, now: datetime
) -> None:
    """Keep how long the longest-waiting of ``occurred`` (live events that changed lead
    scores now) waited for its score: the input of the slow-scoring alert."""
    live = [at for at in occurred if timedelta(0) <= now - at <= LIVE]
    if not live:
        return
    (new_id,) = app.ids.new_many(1)
    waited = (now - min(live)).total_seconds()
    uow.measurements.record_many([Measurement(id=new_id, name=LEAD_SCORING, at=now, value=waited)])
