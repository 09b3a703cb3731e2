"""What the message bus's handlers leave behind, for tests that compare whole states.

Health assessments, lead scores, threshold crossings and card moves are snapshots: how many
``crm.health.changed`` or ``crm.lead.scored`` events a run records depends on how its
events were batched (a batch is assessed once, after its last event). Tests that compare a
batched run with a one-at-a-time run compare the *final* health, score and board instead,
and leave those event types out of the outbox counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty import CardId
from crmcore.ports.uow import UnitOfWork

SNAPSHOTS = frozenset(
    {
        "crm.health.changed",
        "crm.churn_risk.detected",
        "crm.renewal.approaching",
        "crm.lead.scored",
        "crm.lead.score_threshold_crossed",
        "crm.loyalty.card_moved",  # a batch's facts may carry a card past a level at once
        "crm.customer.status_changed",  # a batch reports each contact's net change
        "crm.funnel.stage_changed",
    }
)


def reaction_state(uow: UnitOfWork, key: Mapping[ContactId, Any]) -> list[str]:
    """Each contact's latest health, funnel stage, loyalty card and loyalty facts."""
    out: list[str] = []
    for contact_id, name in key.items():
        health = uow.health.latest(contact_id)
        card = uow.cards.get(CardId(contact_id))
        facts = uow.loyalty_facts.get(contact_id)
        contact = uow.contacts.get(contact_id)
        out.append(
            repr(
                (
                    str(name),
                    (health.score, health.level.value) if health else None,
                    contact.funnel.stage.value if contact else None,
                    card.level if card else None,
                    facts,
                )
            )
        )
    out.extend(repr((str(lead.email), lead.score)) for lead in uow.leads.list())
    return sorted(out)
