"""The identity port: who a bearer of a login token is, and which scopes they hold.

The default adapter verifies JWTs against a configured issuer's JWKS file (ORY Hydra and
most OpenID providers publish one); another provider plugs in by implementing this.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from crmcore.domain.access import Scope


@attrs.frozen(kw_only=True)
class Identity:
    """A verified person: their subject, display name and the highest scope they hold."""

    subject: str
    name: str
    scope: Scope


class InvalidToken(Exception):
    """The token is malformed, expired, not signed by the issuer, or grants no scope."""


class IdentityVerifier(Protocol):
    """Turns a login token into an :class:`Identity`."""

    def verify(self, token: str) -> Identity:
        """The identity the token proves; raises :class:`InvalidToken` otherwise."""
        ...
