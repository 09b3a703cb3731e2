"""An HTTP client over the ASGI application, with one API key of each scope."""

from __future__ import annotations

from typing import Any

import attrs
from fastapi.testclient import TestClient

from crmcore.app.access.apikeys import create_api_key
from crmcore.app.context import App
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from crmcore.domain.access import Scope


class Ticks:
    """A monotonic clock that moves only when a test says so (rate limits)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class Api:
    """A test client, the tokens of a read, a write and an admin key, and the clock."""

    client: TestClient
    tokens: dict[Scope, str]
    ticks: Ticks

    def auth(self, scope: Scope = Scope.ADMIN, **extra: str) -> dict[str, str]:
        """Headers of a request with the key of ``scope``."""
        return {"Authorization": f"Bearer {self.tokens[scope]}", **extra}

    def get(self, url: str, scope: Scope = Scope.READ, **kw: Any) -> Any:
        """GET with a key of ``scope``."""
        return self.client.get(url, headers=self.auth(scope, **kw.pop("headers", {})), **kw)

    def post(self, url: str, scope: Scope = Scope.WRITE, **kw: Any) -> Any:
        """POST with a key of ``scope``."""
        return self.client.post(url, headers=self.auth(scope, **kw.pop("headers", {})), **kw)

    def put(self, url: str, scope: Scope = Scope.WRITE, **kw: Any) -> Any:
        """PUT with a key of ``scope``."""
        return self.client.put(url, headers=self.auth(scope, **kw.pop("headers", {})), **kw)


def api_over(app: App, settings: HttpSettings | None = None, **kw: Any) -> Api:
    """A client of ``create_api(app)`` with fresh keys (no rate limit worth hitting unless
    the settings give one)."""
    ticks = Ticks()
    chosen = settings or HttpSettings(key_rate=1000.0, key_burst=10_000, secure_cookies=False)
    api = create_api(app, settings=chosen, monotonic=ticks, **kw)
    tokens = {s: create_api_key(app, name=f"test-{s}", scope=s.value).unwrap().token for s in Scope}
    return Api(client=TestClient(api, raise_server_exceptions=False), tokens=tokens, ticks=ticks)
