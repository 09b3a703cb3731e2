"""Unsubscribe and the suppression list: a withdrawn consent, with its source and time,
that every campaign, sequence and trigger honours (the send worker checks it when it
claims a delivery)."""

from __future__ import annotations

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.campaign import CampaignChannel
from crmcore.domain.email import Email
from crmcore.domain.errors import InvalidInput, RuleViolation
from crmcore.domain.unsubscribe import token_valid
from crmcore.ports.marketing import Consent
from crmcore.ports.uow import UnitOfWork


def unsubscribe(
    app: App,
    *,
    address: str,
    channel: CampaignChannel = CampaignChannel.EMAIL,
    source: str = "cli",
    token: str | None = None,
) -> Result[Consent, AppError]:
    """Withdraw ``address``'s consent on ``channel``. E-mail addresses are normalised
    first; with ``token`` (from a ``List-Unsubscribe`` link) it must be the address's."""
    clean = address.strip()
    if channel is CampaignChannel.EMAIL:
        parsed = Email.parse(clean)
        if isinstance(parsed, Failure):
            return Failure(InvalidInput(errors=(parsed.failure(),)))
        clean = parsed.unwrap().value

    def work(uow: UnitOfWork) -> Result[Consent, AppError]:
        if token is not None and not token_valid(uow.personal_data.subject_secret(), clean, token):
            return Failure(RuleViolation(rule="unsubscribe token", detail="not valid for " + clean))
        consent = Consent(
            address=clean, channel=channel, granted=False, source=source, at=app.clock.now()
        )
        uow.consents.record(consent)
        return Success(consent)

    return transact(app, work)


def suppression_list(app: App) -> Result[list[Consent], AppError]:
    """Every withdrawn consent, oldest first."""
    return transact(app, lambda uow: Success(list(uow.consents.suppressions())), commit=False)
