"""The ASGI application: the API under ``/crm``, secure by default (ADR 0019).

``create_api`` wires the routers over a built :class:`~crmcore.app.context.App`; ``crm
serve`` runs it under uvicorn. The OpenAPI document is at ``/openapi.json`` (public: it is
generated from the typed models and holds no data); interactive docs are off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import crmcore
from crmcore.app.context import App
from crmcore.app.http import (
    dashboard,
    problems,
    routes_admin,
    routes_analytics,
    routes_inbound,
    routes_reports,
    routes_sales,
)
from crmcore.app.http.limits import BodyLimit, LocalVerifiedKeys, RateLimiter, worker_share
from crmcore.app.http.services import HttpServices
from crmcore.app.http.settings import HttpSettings
from crmcore.ports.access import RateBuckets, VerifiedKeys
from crmcore.ports.identity import IdentityVerifier, RedirectLogin

#: Paths served without any guard (the route-table test allows exactly these).
PUBLIC_PATHS = frozenset({"/openapi.json"})

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """ASGI middleware adding headers that keep browsers from guessing or framing, and
    ``Cache-Control: no-store`` on API answers (they carry personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {h[0].lower() for h in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in names)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def _services(
    app: App,
    settings: HttpSettings,
    identity: IdentityVerifier | None,
    monotonic: Callable[[], float],
    login: RedirectLogin | None = None,
) -> HttpServices:
    """The limits and key cache: in the shared store when one is configured, else in
    this process with its share of every limit (:func:`worker_share`)."""
    form_rate = settings.form_rate_per_minute / 60
    form_burst = max(1, int(settings.form_rate_per_minute))
    key_limiter: RateBuckets
    form_limiter: RateBuckets
    verified: VerifiedKeys
    if settings.shared_store:
        from crmcore.app.bootstrap import shared_http_limits

        key_limiter, form_limiter, verified = shared_http_limits(
            settings.shared_store,
            key_rate=settings.key_rate,
            key_burst=settings.key_burst,
            form_rate=form_rate,
            form_burst=form_burst,
            ttl=settings.key_cache_seconds,
            prefix=settings.shared_prefix,
        )
        if settings.key_cache_seconds <= 0:
            verified = LocalVerifiedKeys(ttl=0, now=monotonic)
    else:
        rate, burst = worker_share(settings.key_rate, settings.key_burst, settings.workers)
        key_limiter = RateLimiter(rate=rate, burst=burst, now=monotonic)
        rate, burst = worker_share(form_rate, form_burst, settings.workers)
        form_limiter = RateLimiter(rate=rate, burst=burst, now=monotonic)
        verified = LocalVerifiedKeys(ttl=settings.key_cache_seconds, now=monotonic)
    return HttpServices(
        app=app,
        settings=settings,
        identity=identity or login,
        key_limiter=key_limiter,
        form_limiter=form_limiter,
        verified=verified,
        login=login,
        monotonic=monotonic,
        shared_limits=bool(settings.shared_store),
    )


def create_api(
    app: App,
    *,
    settings: HttpSettings | None = None,
    identity: IdentityVerifier | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    login: RedirectLogin | None = None,
) -> FastAPI:
    """The HTTP application over ``app`` (``monotonic`` drives the rate limits); with
    ``login`` the dashboard logs in by redirect to an OpenID provider."""
    chosen = settings or HttpSettings()
    api = FastAPI(
        title="crmcore",
        version=crmcore.__version__,
        description=(
            "The CRM core over HTTP: every route needs an API key (`Authorization: Bearer "
            "KEY`, from `crm apikeys create`) of the scope it names; errors are RFC 9457 "
            "problem documents."
        ),
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    api.state.crm = _services(app, chosen, identity, monotonic, login)
    problems.install(api)
    api.include_router(routes_sales.router)
    api.include_router(routes_reports.router)
    api.include_router(routes_analytics.router)
    api.include_router(routes_inbound.router)
    api.include_router(routes_admin.router)
    api.include_router(dashboard.router)
    api.add_middleware(BodyLimit, limit=chosen.max_body)
    api.add_middleware(SecurityHeaders)
    return api
