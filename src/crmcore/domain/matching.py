"""Matching an interaction to a contact: by user id, then e-mail, then phone.

A pure decision over what the lookups found; the use case performs the lookups and
acts on the decision.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from crmcore.domain.ids import ContactId


@attrs.frozen
class Matched:
    """Exactly one contact is this customer."""

    contact_id: ContactId
    by: str


@attrs.frozen
class CreateContact:
    """Nobody matches: the customer is new."""


@attrs.frozen
class Ambiguous:
    """The keys point at different contacts; a person must decide."""

    candidates: tuple[ContactId, ...]
    reason: str


MatchDecision = Matched | CreateContact | Ambiguous


def decide_match(
    *,
    by_user_id: ContactId | None,
    by_email: ContactId | None,
    by_phone: Sequence[ContactId],
) -> MatchDecision:
    """Decide who the customer is from the contacts each key found.

    The user id is the identity link and wins outright. Otherwise the e-mail decides,
    unless the phone belongs only to *other* contacts (ambiguous). A phone alone must
    point at exactly one contact.
    """
    if by_user_id is not None:
        return Matched(by_user_id, "user_id")
    phones = tuple(dict.fromkeys(by_phone))
    if by_email is not None:
        if phones and by_email not in phones:
            return Ambiguous((by_email, *phones), "e-mail and phone belong to different contacts")
        return Matched(by_email, "email")
    if len(phones) == 1:
        return Matched(phones[0], "phone")
    if len(phones) > 1:
        return Ambiguous(phones, f"the phone belongs to {len(phones)} contacts")
    return CreateContact()
