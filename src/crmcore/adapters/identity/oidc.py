"""OpenID Connect login by redirect: the authorization code flow with PKCE (S256) against
an issuer's discovery document (``<issuer>/.well-known/openid-configuration``).

``start`` builds the authorization URL with a fresh ``state``, ``nonce`` and code
verifier; ``finish`` posts the code and the verifier to the token endpoint and checks the
ID token it gets (signature against the issuer's ``jwks_uri``, issuer, audience = the
client id, expiry, nonce). The ID token is then the dashboard's session token, verified
again on every page by :meth:`OidcLogin.verify` (claims map to scopes as in ``jwks``).
``end_session`` is RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the
discovery document's ``end_session_endpoint`` with ``id_token_hint``, ``client_id`` and
``post_logout_redirect_uri``, or ``None`` when the provider publishes no such endpoint.

HTTP goes through a two-method :class:`Transport` (the standard library's urllib by
default), so tests plug a fake provider in without a network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import jwt

from crmcore.adapters.identity.jwks import ALGORITHMS, scope_of
from crmcore.ports.identity import Identity, InvalidToken, LoginStart

#: Seconds an HTTP call to the provider may take.
TIMEOUT = 10
#: Seconds between two reloads of the provider's keys for tokens naming an unknown key
#: (a rotation), so tokens with made-up key ids cannot make every request fetch them.
KEY_RELOAD_SECONDS = 60.0


class Transport(Protocol):
    """How the adapter talks to the provider."""

    def get_json(self, url: str) -> Any: ...
    def post_form(self, url: str, data: Mapping[str, str]) -> Any: ...


class UrllibTransport:
    """:class:`Transport` over ``urllib.request`` (HTTPS certificates checked)."""

    def get_json(self, url: str) -> Any:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        return self._send(request)

    def post_form(self, url: str, data: Mapping[str, str]) -> Any:
        body = urllib.parse.urlencode(dict(data)).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return self._send(request)

    def _send(self, request: urllib.request.Request) -> Any:
        if urllib.parse.urlsplit(request.full_url).scheme not in ("https", "http"):
            raise InvalidToken("the provider's URL is not http(s)")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read(1_000_000))
        except urllib.error.HTTPError as exc:
            raise InvalidToken(f"the provider answered {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise InvalidToken("the provider could not be reached") from exc


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def challenge_of(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (RFC 7636)."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


class OidcLogin:
    """One OpenID provider, one client of it (the dashboard)."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None = None,
        scope: str = "openid profile email",
        transport: Transport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._secret = client_secret
        self._scope = scope
        self._http = transport or UrllibTransport()
        self._config: dict[str, Any] | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()
        self._now = monotonic
        self._loaded_at = -KEY_RELOAD_SECONDS

    def _discovered(self) -> dict[str, Any]:
        """The discovery document (read once; its issuer must be the configured one)."""
        with self._lock:
            if self._config is None:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                found = self._http.get_json(url)
                needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
                if not isinstance(found, dict) or any(
                    not isinstance(found.get(k), str) for k in needed
                ):
                    raise InvalidToken("the provider's discovery document is incomplete")
                if found["issuer"] != self.issuer:
                    raise InvalidToken("the discovery document names another issuer")
                self._config = found
            return self._config

    def _key_set(self, *, refresh: bool = False) -> jwt.PyJWKSet:
        config = self._discovered()
        with self._lock:
            stale = refresh and self._now() - self._loaded_at >= KEY_RELOAD_SECONDS
            if self._keys is None or stale:
                self._loaded_at = self._now()
                try:
                    self._keys = jwt.PyJWKSet.from_dict(self._http.get_json(config["jwks_uri"]))
                except jwt.PyJWTError as exc:
                    raise InvalidToken("the provider's keys are unusable") from exc
            return self._keys

    def start(self, *, redirect_uri: str) -> LoginStart:
        """See :meth:`crmcore.ports.identity.RedirectLogin.start`."""
        config = self._discovered()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self._scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge_of(verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = config["authorization_endpoint"]
        glue = "&" if "?" in endpoint else "?"
        return LoginStart(
            url=f"{endpoint}{glue}{query}", state=state, nonce=nonce, verifier=verifier
        )

    def end_session(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """See :meth:`crmcore.ports.identity.RedirectLogin.end_session`."""
        endpoint = self._discovered().get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        if urllib.parse.urlsplit(endpoint).scheme not in ("https", "http"):
            raise InvalidToken("the provider's end_session_endpoint is not http(s)")
        query = urllib.parse.urlencode(
            {
                "id_token_hint": id_token,
                "client_id": self.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        glue = "&" if "?" in endpoint else "?"
        return f"{endpoint}{glue}{query}"

    def finish(self, *, code: str, verifier: str, nonce: str, redirect_uri: str) -> str:
        """See :meth:`crmcore.ports.identity.RedirectLogin.finish`."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        if self._secret:
            form["client_secret"] = self._secret
        answer = self._http.post_form(self._discovered()["token_endpoint"], form)
        token = answer.get("id_token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise InvalidToken("the provider returned no ID token")
        claims = self._claims(token)
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise InvalidToken("the ID token's nonce is not this login's")
        return token

    def verify(self, token: str) -> Identity:
        """See :meth:`crmcore.ports.identity.IdentityVerifier.verify`."""
        claims = self._claims(token)
        scope = scope_of(claims)
        if scope is None:
            raise InvalidToken("the token grants no crm scope")
        subject = str(claims["sub"])
        name = str(claims.get("name") or claims.get("email") or subject)
        return Identity(subject=subject, name=name, scope=scope)

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            keys = self._signing_keys(kid)
            claims: dict[str, Any] = jwt.decode(
                token,
                key=keys[0],
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.client_id,
                options={"require": ["exp", "iss", "sub", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        return claims

    def _signing_keys(self, kid: str | None) -> list[jwt.PyJWK]:
        for refresh in (False, True):  # an unknown kid: the provider may have rotated
            keys = [
                k for k in self._key_set(refresh=refresh).keys if kid is None or k.key_id == kid
            ]
            if keys:
                return keys
        raise InvalidToken("no key of the issuer signed this token")
