"""The default identity adapter: JWTs signed by a configured issuer, checked against its
JWKS file (the keys ORY Hydra and other OpenID providers publish), claims mapped to scopes.

Scopes come from the ``scope`` claim (space-separated, OAuth 2) or a ``crm_scopes``
list: ``crm:admin``, ``crm:write`` or ``crm:read`` (the highest one wins). A token without
one of them proves who someone is but grants nothing, and is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt

from crmcore.domain.access import Scope
from crmcore.ports.identity import Identity, InvalidToken

#: Signature algorithms accepted (asymmetric only: a JWKS holds public keys).
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]
_SCOPES = {f"crm:{s.value}": s for s in Scope}


def scope_of(claims: dict[str, Any]) -> Scope | None:
    """The highest crm scope the claims grant, or ``None``."""
    granted: list[str] = []
    raw = claims.get("scope")
    if isinstance(raw, str):
        granted.extend(raw.split())
    listed = claims.get("crm_scopes")
    if isinstance(listed, list):
        granted.extend(str(s) for s in listed)
    found = [_SCOPES[g] for g in granted if g in _SCOPES]
    return max(found, key=lambda s: s.rank) if found else None


class JwksVerifier:
    """Verifies RS/ES/EdDSA-signed JWTs with the keys of a JWKS file."""

    def __init__(self, jwks_file: str | Path, *, issuer: str, audience: str | None) -> None:
        data = json.loads(Path(jwks_file).read_text(encoding="utf-8"))
        self._keys = jwt.PyJWKSet.from_dict(data)
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Identity:
        """The identity of a valid token (see the module docstring for scopes)."""
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            keys = [k for k in self._keys.keys if kid is None or k.key_id == kid]
            if not keys:
                raise InvalidToken("no key of the issuer signed this token")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=keys[0],
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": self._audience is not None,
                },
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        scope = scope_of(claims)
        if scope is None:
            raise InvalidToken("the token grants no crm scope")
        subject = str(claims["sub"])
        name = str(claims.get("name") or claims.get("email") or subject)
        return Identity(subject=subject, name=name, scope=scope)
