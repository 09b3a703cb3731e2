"""Signed unsubscribe links (a token only this database's secret can make) and the
event an unsubscribe publishes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

import attrs

from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import ContactId


@event_type("crm.unsubscribe")
@attrs.frozen(kw_only=True)
class Unsubscribed(DomainEvent):
    """An address withdrew its consent on a channel (``source``: ``cli``, ``link``,
    ``http``, ``bounce``...); ``contacts`` are the contacts reached at that address."""

    address: str
    channel: str
    source: str
    contacts: tuple[ContactId, ...] = ()


def unsubscribe_token(secret: bytes, address: str) -> str:
    """An HMAC-SHA256 of the address (case-folded) under ``secret``, URL-safe, 22 chars."""
    digest = hmac.new(secret, b"unsubscribe:" + address.casefold().encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


def token_valid(secret: bytes, address: str, token: str) -> bool:
    """True when ``token`` is the one :func:`unsubscribe_token` makes for ``address``."""
    return hmac.compare_digest(unsubscribe_token(secret, address), token)


def unsubscribe_url(base: str, secret: bytes, address: str) -> str:
    """``base`` with the address and its token as query parameters."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}e={quote(address, safe='@')}&t={unsubscribe_token(secret, address)}"
