"""Deny by default: guards on every route, 401/403/429, problem documents, size limits."""

from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from crmcore.app.access.apikeys import list_api_keys, revoke_api_key
from crmcore.app.context import App
from crmcore.app.http.api import PUBLIC_PATHS, create_api
from crmcore.app.http.security import Guard, Public
from crmcore.app.http.settings import HttpSettings
from crmcore.domain.access import Scope
from tests.http_client import api_over

LEAD = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}


def _guards(dependant: object) -> list[Guard]:
    found: list[Guard] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        call = getattr(current, "call", None)
        if isinstance(call, Guard):
            found.append(call)
        stack.extend(getattr(current, "dependencies", []))
    return found


def _routes(routes: list[object]) -> list[object]:
    """Every route, looking into included routers (however this FastAPI keeps them)."""
    out: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(_routes(list(inner.routes)))
        else:
            out.append(route)
    return out


def test_every_route_declares_a_guard(app: App) -> None:
    api = create_api(app)
    unguarded = []
    routes = _routes(list(api.routes))
    for route in routes:
        path = getattr(route, "path", "?")
        if isinstance(route, APIRoute):
            guards = _guards(route.dependant)
            if not guards:
                unguarded.append(path)
            for guard in guards:
                if isinstance(guard, Public):
                    assert guard.reason.strip(), f"{path}: a public route must say why"
        elif path not in PUBLIC_PATHS:
            unguarded.append(path)
    assert unguarded == []
    assert sum(isinstance(r, APIRoute) for r in routes) >= 20


def test_no_key_is_401_with_a_problem_document(app: App) -> None:
    client = TestClient(create_api(app))
    response = client.get("/crm/leads")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Bearer crm_" + "x" * 43, "Basic YTpi", "Bearer " + "crm_" * 60, "Bearer"],
)
def test_a_wrong_key_is_401(app: App, header: str) -> None:
    client = TestClient(create_api(app))
    assert client.get("/crm/leads", headers={"Authorization": header}).status_code in (401, 403)


def test_a_read_key_cannot_write(app: App) -> None:
    api = api_over(app)
    response = api.post("/crm/leads", scope=Scope.READ, json=LEAD)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:crmcore:problem:insufficient-scope"
    assert api.post("/crm/leads", scope=Scope.WRITE, json=LEAD).status_code == 201
    assert api.get("/crm/leads", scope=Scope.READ).status_code == 200


def test_a_revoked_key_is_refused_once_its_cache_entry_expires(app: App) -> None:
    api = api_over(app, HttpSettings(key_cache_seconds=5))
    assert api.get("/crm/leads").status_code == 200
    read_key = next(k for k in list_api_keys(app).unwrap() if k.scope is Scope.READ)
    revoke_api_key(app, read_key.id).unwrap()
    assert api.get("/crm/leads").status_code == 200  # verified 0 s ago: still trusted
    api.ticks.now += 5
    assert api.get("/crm/leads").status_code == 401
    api.ticks.now += 5
    assert api.get("/crm/leads").status_code == 401  # a refused key is never cached


def test_without_a_cache_a_revoked_key_is_refused_at_once(app: App) -> None:
    api = api_over(app, HttpSettings(key_cache_seconds=0))
    assert api.get("/crm/leads").status_code == 200
    read_key = next(k for k in list_api_keys(app).unwrap() if k.scope is Scope.READ)
    revoke_api_key(app, read_key.id).unwrap()
    assert api.get("/crm/leads").status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(app: App) -> None:
    api = api_over(app, HttpSettings(key_rate=0.5, key_burst=2))
    assert [api.get("/crm/leads").status_code for _ in range(2)] == [200, 200]
    limited = api.get("/crm/leads")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert api.get("/crm/leads", scope=Scope.WRITE).status_code == 200  # another key
    api.ticks.now += 2
    assert api.get("/crm/leads").status_code == 200


def test_field_errors_come_back_together(app: App) -> None:
    api = api_over(app)
    response = api.post(
        "/crm/leads", json={"email": "not-an-email", "phone": "abc", "budget": "lots"}
    )
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in body["errors"]} >= {"email", "phone", "budget"}


def test_a_body_over_the_limit_is_413(app: App) -> None:
    api = api_over(app, HttpSettings(max_body=200))
    big = {**LEAD, "company": "x" * 250}
    response = api.post("/crm/leads", json=big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks() -> object:
        yield json.dumps(big).encode()

    streamed = api.client.post(
        "/crm/leads",
        content=chunks(),
        headers={**api.auth(Scope.WRITE), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_unknown_routes_and_methods_are_problems(app: App) -> None:
    api = api_over(app)
    missing = api.get("/crm/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert api.client.delete("/crm/leads", headers=api.auth()).status_code == 405


def test_no_internals_leak_from_a_crash(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    api = api_over(app)

    def explode(*_a: object, **_k: object) -> object:
        raise RuntimeError("SELECT secret FROM /var/lib/crm.db line 42")

    monkeypatch.setattr("crmcore.app.http.routes_sales.list_leads", explode)
    response = api.get("/crm/leads")
    assert response.status_code == 500
    text = response.text
    assert "SELECT" not in text
    assert "/var/lib" not in text
    assert "Traceback" not in text
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal error",
        "status": 500,
        "detail": "an internal error occurred; it was logged",
    }


def test_security_headers_are_set(app: App) -> None:
    response = api_over(app).get("/crm/leads")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_openapi_is_published_with_bearer_security(app: App) -> None:
    doc = TestClient(create_api(app)).get("/openapi.json").json()
    assert "/crm/leads" in doc["paths"]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert doc["paths"]["/crm/leads"]["get"]["security"] == [{"HTTPBearer": []}]


def test_webhook_subscriptions_need_the_admin_scope(app: App) -> None:
    api = api_over(app)
    body = {"url": "https://hooks.example.com/crm", "event_type": "crm.deal.*"}
    assert api.post("/crm/webhooks", scope=Scope.WRITE, json=body).status_code == 403
    made = api.post("/crm/webhooks", scope=Scope.ADMIN, json=body)
    assert made.status_code == 201
    assert made.json()["secret"]
    listed = api.get("/crm/webhooks", scope=Scope.ADMIN).json()
    assert [s["secret"] for s in listed] == [None]
    gone = api.post(f"/crm/webhooks/{listed[0]['id']}/remove", scope=Scope.ADMIN)
    assert gone.json()["active"] is False
