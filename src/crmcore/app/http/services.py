"""What every route of one HTTP application shares (kept on ``app.state.crm``)."""

from __future__ import annotations

from collections.abc import Callable

import attrs
from fastapi import Request

from crmcore.app.context import App
from crmcore.app.http.settings import HttpSettings
from crmcore.ports.access import RateBuckets, VerifiedKeys
from crmcore.ports.identity import IdentityVerifier, RedirectLogin


@attrs.define(kw_only=True)
class HttpServices:
    """The application, the HTTP settings, the limiters and the dashboard's identity port."""

    app: App
    settings: HttpSettings
    key_limiter: RateBuckets
    monotonic: Callable[[], float]
    form_limiter: RateBuckets
    #: keys verified a moment ago: see ``HttpSettings.key_cache_seconds``
    verified: VerifiedKeys
    identity: IdentityVerifier | None = None
    #: whether the limiters and the key cache live in a shared store (network calls)
    shared_limits: bool = False
    #: the dashboard's login by redirect (OpenID Connect), when configured
    login: RedirectLogin | None = None


def services(request: Request) -> HttpServices:
    """The services of the application serving ``request``."""
    found: HttpServices = request.app.state.crm
    return found
