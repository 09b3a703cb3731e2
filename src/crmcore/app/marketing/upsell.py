"""Upsell and cross-sell: the default segments (high-value, power users, teams) with
their offers, and the in-app prompt when a customer reaches a usage limit.

Both are shipped as data (``upsell.json``): each segment is a saved segment whose
members join the ``upsell:SEGMENT`` sequences on the send worker's tick; a usage limit
(``crm.usage.limit_reached``) plans the ``usage_limit`` sequence's in-app prompt, at most
once per customer and day.
"""

from __future__ import annotations

from typing import Any

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.intelligence.segments import create_segment
from crmcore.app.marketing.sequences import add_templates, install_one_step, shipped_data
from crmcore.domain.campaign import Campaign, CampaignChannel
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import ContactId
from crmcore.domain.offers import UsageLimitReached
from crmcore.ports.uow import UnitOfWork

UPSELL = "upsell.json"


def install_upsell(app: App) -> Result[list[Campaign], AppError]:
    """The default upsell segments (kept when a segment of that name exists), their
    templates and sequences, and the in-app usage-limit prompt."""
    data = shipped_data(UPSELL)
    stored = transact(
        app, lambda uow: Success({s.name for s in uow.segments.list()}), commit=False
    ).value_or(set())
    for segment in data["segments"]:
        if segment["name"] not in stored:
            made = create_segment(app, name=segment["name"], filter_json=segment["filter"])
            if isinstance(made, Failure):
                return Failure(made.failure())
    added = add_templates(app, data["sequences"])
    if isinstance(added, Failure):
        return Failure(added.failure())
    return install_one_step(
        app,
        [
            (s["name"], s["template"], [CampaignChannel(s["channel"])], s["trigger"])
            for s in data["sequences"]
        ],
    )


def upsell_offers() -> dict[str, str]:
    """The shipped offer per default segment."""
    segments: list[dict[str, Any]] = shipped_data(UPSELL)["segments"]
    return {s["name"]: s["offer"] for s in segments}


def usage_limit_reached(
    app: App, *, contact_id: ContactId, limit: str, used: int, allowed: int
) -> Result[UsageLimitReached, AppError]:
    """Record that a customer used up a limit of its plan (from the activity hub's usage
    events); the bus plans the in-app upsell prompt."""
    if not limit.strip() or used < 0 or allowed < 0:
        error = FieldError(field="limit", value=f"{limit}:{used}/{allowed}",
                           reason="a name, and counts of zero or more")  # fmt: skip
        return Failure(InvalidInput(errors=(error,)))

    def work(uow: UnitOfWork) -> Result[UsageLimitReached, AppError]:
        if uow.contacts.get(contact_id) is None:
            return Failure(NotFound(kind="contact", key=str(contact_id)))
        event = UsageLimitReached(customer=contact_id, limit=limit.strip(), used=used,
                                  allowed=allowed)  # fmt: skip
        uow.record(event)
        return Success(event)

    return transact(app, work)
