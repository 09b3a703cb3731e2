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


@attrs.frozen(kw_only=True)
class LoginStart:
    """Where to send the browser to log in, and what to keep until it comes back: the
    ``state`` it must bring back, the ``nonce`` the token must carry, and the PKCE
    ``verifier`` of the code challenge sent."""

    url: str
    state: str
    nonce: str
    verifier: str


class RedirectLogin(IdentityVerifier, Protocol):
    """A provider that logs people in by redirect (OpenID Connect authorization code with
    PKCE): start sends the browser there, finish turns the code it brings back into a
    login token, which :meth:`verify` checks on every page."""

    def start(self, *, redirect_uri: str) -> LoginStart:
        """A new login attempt."""
        ...

    def finish(self, *, code: str, verifier: str, nonce: str, redirect_uri: str) -> str:
        """The provider's ID token for ``code`` (its signature, issuer, audience and
        ``nonce`` checked); raises :class:`InvalidToken` otherwise."""
        ...

    def end_session(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end its session at the provider too (RP-initiated
        logout, naming the session's ``id_token``), or ``None`` when the provider offers
        no such endpoint; raises :class:`InvalidToken` when the provider is unusable."""
        ...
