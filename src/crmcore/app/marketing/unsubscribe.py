"""Unsubscribe and the suppression list: a withdrawn consent, with its source and time,
that every campaign, sequence and trigger honours (the send worker checks it when it
claims a delivery). Every path (the CLI, a ``List-Unsubscribe`` link or POST, a hard
bounce) goes through :func:`unsubscribe`, which records ``crm.unsubscribe``; the bus
then takes the contacts out of their sequences."""

from __future__ import annotations

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.campaign import NEEDS, CampaignChannel
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.errors import InvalidInput, RuleViolation
from crmcore.domain.phone import Phone
from crmcore.domain.unsubscribe import Unsubscribed, token_valid
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
        return Success(withdraw(app, uow, address=clean, channel=channel, source=source))

    return transact(app, work)


def withdraw(
    app: App, uow: UnitOfWork, *, address: str, channel: CampaignChannel, source: str
) -> Consent:
    """Record the withdrawn consent of a normalised ``address`` and the
    ``crm.unsubscribe`` event, in the caller's unit of work."""
    consent = Consent(
        address=address, channel=channel, granted=False, source=source, at=app.clock.now()
    )
    uow.consents.record(consent)
    who = tuple(c.id for c in contacts_at(uow, channel, address))
    uow.record(Unsubscribed(address=address, channel=channel.value, source=source, contacts=who))
    return consent


def contacts_at(uow: UnitOfWork, channel: CampaignChannel, address: str) -> list[Contact]:
    """The contacts a channel reaches at ``address`` (its e-mail, phone or user id)."""
    needs = NEEDS[channel]
    if needs == "email":
        parsed = Email.parse(address)
        if not isinstance(parsed, Success):
            return []
        return list(uow.contacts.find_many(emails=[parsed.unwrap()]))
    if needs == "phone":
        phone = Phone.parse(address)
        if not isinstance(phone, Success):
            return []
        return list(uow.contacts.find_many(phones=[phone.unwrap()]))
    return list(uow.contacts.find_many(user_ids=[address]))


def suppression_list(app: App) -> Result[list[Consent], AppError]:
    """Every withdrawn consent, oldest first."""
    return transact(app, lambda uow: Success(list(uow.consents.suppressions())), commit=False)
