"""A throw-away identity provider for tests: an RSA key, its JWKS file, signed tokens."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://id.example.test/"
AUDIENCE = "crm-dashboard"


class Provider:
    """Signs tokens with its own key; ``jwks`` is the file the dashboard trusts."""

    def __init__(self, directory: Path, *, kid: str = "k1") -> None:
        self.kid = kid
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": kid, "use": "sig", "alg": "RS256"})
        self.jwks = directory / "jwks.json"
        self.jwks.write_text(json.dumps({"keys": [public]}), encoding="utf-8")

    def token(self, *, scope: str = "crm:write", ttl: int = 600, **claims: Any) -> str:
        """A signed token for ``sub=ann`` with ``scope`` (overridable claims)."""
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "ann",
            "name": "Ann Operator",
            "scope": scope,
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        return jwt.encode(body, self._key, algorithm="RS256", headers={"kid": self.kid})
