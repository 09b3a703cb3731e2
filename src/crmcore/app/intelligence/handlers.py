"""Intelligence reactions: what customers do moves their health score and lead score.

* logins, e-mail opens and clicks, form answers (NPS) and classified feedback reassess
  the customer's health from their facts (:func:`assess_from_facts`);
* e-mail opens and clicks count on the lead with the same e-mail and rescore it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from crmcore.app.intelligence.health import reassess
from crmcore.app.intelligence.scoring import rescore_in
from crmcore.domain.health import HealthConfig
from crmcore.domain.ids import ContactId
from crmcore.domain.interactions import EmailClicked, EmailOpened
from crmcore.domain.lead import Engagement, Lead
from crmcore.domain.scoring import ScoringConfig
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App


class _HasContact:
    contact_id: ContactId


def reassess_health(app: App, uow: UnitOfWork, events: Sequence[_HasContact]) -> None:
    """Reassess the health of every customer the events are about (once per batch)."""
    reassess(app, uow, sorted({e.contact_id for e in events}, key=str), config=HealthConfig())


def engagement_to_leads(
    app: App, uow: UnitOfWork, events: Sequence[EmailOpened | EmailClicked]
) -> None:
    """Count opens and clicks on the lead with the contact's e-mail, then rescore it."""
    ids = sorted({e.contact_id for e in events}, key=str)
    emails = {c.id: c.email for c in uow.contacts.get_many(ids) if c.email is not None}
    if not emails:
        return
    leads = {lead.email.value: lead for lead in uow.leads.find_many_by_email(list(emails.values()))}
    if not leads:
        return
    now = app.clock.now()
    changed: dict[str, Lead] = {}
    for event in events:
        email = emails.get(event.contact_id)
        if email is None:
            continue
        lead = changed.get(email.value) or leads.get(email.value)
        if lead is None:
            continue
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
