"""Deny by default: every route declares a guard, and a test walks the route table.

* :class:`Requires` — an API key (``Authorization: Bearer KEY``) of at least a scope,
  within its rate limit: 401 without a valid key, 403 with too small a scope, 429 with
  ``Retry-After`` past the limit.
* :class:`Public` — no credentials, with the reason written down (the web form, which has
  its own honeypot, per-address limit and origin check; the OpenAPI document).
* :class:`Signed` — the inbound webhook, authenticated by its HMAC signature.
* :class:`DashboardLogin` — the dashboard's session cookie (a verified identity token).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from returns.result import Failure
from starlette.concurrency import run_in_threadpool

from crmcore.app.access.apikeys import authenticate, hash_token
from crmcore.app.http.limits import retry_after
from crmcore.app.http.problems import Problem, from_app_error
from crmcore.app.http.services import services
from crmcore.domain.access import ApiKey, Scope

_bearer = HTTPBearer(auto_error=False, description="An API key from `crm apikeys create`.")


class Guard:
    """What every route depends on; the route-table test looks for one."""

    kind: ClassVar[str] = "guard"


class Requires(Guard):
    """An API key whose scope includes ``scope``."""

    kind = "api-key"

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        found = services(request)
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorised("an API key is required: Authorization: Bearer KEY")
        token = credentials.credentials
        if found.shared_limits:  # the limits are network calls: keep them off the loop
            return await run_in_threadpool(self._admit, request, token)
        # in-process limits and cache: a cached key costs no thread hop (the common case)
        key = found.verified.get(hash_token(token))
        if key is None:
            return await run_in_threadpool(self._admit, request, token)
        return self._allowed(request, key)

    def _admit(self, request: Request, token: str) -> ApiKey:
        key = _verified(request, token)
        if key is None:
            raise _unauthorised("the API key is not valid or was revoked")
        return self._allowed(request, key)

    def _allowed(self, request: Request, key: ApiKey) -> ApiKey:
        """``key`` if its scope suffices and its rate limit is not spent."""
        if not key.scope.allows(self.scope):
            raise Problem(
                403, f"this route needs the {self.scope.value} scope", kind="insufficient-scope"
            )
        wait = services(request).key_limiter.take(str(key.id))
        if wait > 0:
            raise Problem(
                429,
                "the rate limit of this key is spent",
                headers={"Retry-After": retry_after(wait)},
                kind="rate-limited",
            )
        return key


def _verified(request: Request, token: str) -> ApiKey | None:
    """The active key of ``token``: from the cache of keys verified a few seconds ago
    (shared by the workers when a shared store is configured), else from the store."""
    found = services(request)
    digest = hash_token(token)
    cached = found.verified.get(digest)
    if cached is not None:
        return cached
    checked = authenticate(found.app, token)
    if isinstance(checked, Failure):
        raise from_app_error(checked.failure())
    key = checked.unwrap()
    if key is None:
        found.verified.forget(digest)
    else:
        found.verified.put(digest, key)
    return key


def _unauthorised(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"}, kind="unauthorised")


class Public(Guard):
    """No credentials: only for the routes that must be open, with the reason given."""

    kind = "public"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def __call__(self) -> None:
        return None


class Signed(Guard):
    """Authenticated by an HMAC signature over the body (checked in the route, which has
    the raw body); the guard only marks the route."""

    kind = "signed"

    async def __call__(self) -> None:
        return None


READ = Requires(Scope.READ)
WRITE = Requires(Scope.WRITE)
ADMIN = Requires(Scope.ADMIN)
