"""Settings of the HTTP surface: limits, allowed origins, webhook secrets, dashboard login.

Every value comes from an explicit argument, else ``CRMCORE_HTTP_*`` environment
variables, else the ``[crm.http]`` table of the config file, else a safe default: small
bodies, a modest rate per key, no CORS origin, no webhook source, no dashboard login.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs


def _pairs(raw: str) -> dict[str, str]:
    """``a=x,b=y`` as a mapping (blank items skipped)."""
    out: dict[str, str] = {}
    for item in raw.split(","):
        name, sep, value = item.strip().partition("=")
        if sep and name.strip() and value.strip():
            out[name.strip()] = value.strip()
    return out


def _list(raw: str) -> tuple[str, ...]:
    return tuple(i.strip() for i in raw.split(",") if i.strip())


@attrs.frozen(kw_only=True)
class HttpSettings:
    """What ``crm serve`` enforces (see docs/cli.md, "crm serve")."""

    #: Largest request body in bytes (413 past it).
    max_body: int = 1_000_000
    #: Requests per second each API key may make on average, and the burst it may spend.
    key_rate: float = 50.0
    key_burst: int = 100
    #: Seconds a verified key is trusted without reading it again (a revocation takes up
    #: to this long to reach a running server); 0 reads the key on every request.
    key_cache_seconds: float = 5.0
    #: Web-form posts per minute per client address.
    form_rate_per_minute: float = 10.0
    #: Origins whose pages may post web forms (CORS); none by default.
    form_origins: tuple[str, ...] = ()
    #: The form field that only bots fill in.
    honeypot_field: str = "website"
    #: Inbound webhook sources and their HMAC secrets.
    webhook_secrets: Mapping[str, str] = attrs.field(factory=dict)
    #: How far a signed webhook's timestamp may be from now, in seconds.
    webhook_tolerance: int = 300
    #: The dashboard's identity provider: a JWKS file, and the issuer and audience expected.
    jwks_file: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    #: The dashboard's OpenID Connect login by redirect: the issuer (its discovery
    #: document is read from it), this client's id and secret, and the scopes asked for.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scope: str = "openid profile email"
    #: Whether the dashboard's session cookie needs HTTPS (off only for local use).
    secure_cookies: bool = True
    #: Where the rate limits and the verified-key cache are shared by the serving
    #: processes (``redis://host:port/db``); None keeps them in each process.
    shared_store: str | None = None
    #: How many processes serve (``crm serve --workers``); without a shared store each
    #: enforces its share of every limit.
    workers: int = 1
    #: The prefix of the shared store's keys (one per database served from one Redis).
    shared_prefix: str = "crm:http:"

    @classmethod
    def from_env(cls, config: Mapping[str, Any] | None = None) -> HttpSettings:
        """Environment first, then the ``http`` table of ``config``, then the defaults."""
        table = dict((config or {}).get("http", {}) or {})
        env = os.environ

        def pick(name: str, key: str) -> Any:
            value = env.get(f"CRMCORE_HTTP_{name}")
            return value if value not in (None, "") else table.get(key)

        values: dict[str, Any] = {}
        for name, key, convert in (
            ("MAX_BODY", "max_body", int),
            ("KEY_RATE", "key_rate", float),
            ("KEY_BURST", "key_burst", int),
            ("KEY_CACHE", "key_cache_seconds", float),
            ("FORM_RATE", "form_rate_per_minute", float),
            ("HONEYPOT", "honeypot_field", str),
            ("WEBHOOK_TOLERANCE", "webhook_tolerance", int),
            ("JWKS_FILE", "jwks_file", str),
            ("JWT_ISSUER", "jwt_issuer", str),
            ("JWT_AUDIENCE", "jwt_audience", str),
            ("SHARED_STORE", "shared_store", str),
            ("OIDC_ISSUER", "oidc_issuer", str),
            ("OIDC_CLIENT_ID", "oidc_client_id", str),
            ("OIDC_CLIENT_SECRET", "oidc_client_secret", str),
            ("OIDC_SCOPE", "oidc_scope", str),
            ("WORKERS", "workers", int),
            ("SHARED_PREFIX", "shared_prefix", str),
        ):
            raw = pick(name, key)
            if raw is not None:
                values[key] = convert(raw)
        origins = pick("FORM_ORIGINS", "form_origins")
        if origins is not None:
            values["form_origins"] = _list(origins) if isinstance(origins, str) else tuple(origins)
        secrets = pick("WEBHOOK_SECRETS", "webhook_secrets")
        if secrets is not None:
            values["webhook_secrets"] = _pairs(secrets) if isinstance(secrets, str) else {**secrets}
        secure = pick("SECURE_COOKIES", "secure_cookies")
        if secure is not None:
            values["secure_cookies"] = str(secure).lower() not in ("0", "false", "no")
        return cls(**values)
