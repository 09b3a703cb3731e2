"""The dashboard: login through the identity port (JWKS-verified JWTs), the pages, moving
a deal through the use case with its version, resolving a review item from the page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crmcore.adapters.identity.jwks import JwksVerifier
from crmcore.app.context import App
from crmcore.app.events.worker import ingest_events, list_reviews, process_inbox
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from crmcore.app.sales.deals import create_deal, get_deal, move_deal
from crmcore.domain.ids import DealId
from crmcore.ports.identity import InvalidToken
from tests.http.identity import AUDIENCE, ISSUER, Provider

PAGES = [
    "/dashboard",
    "/dashboard/loyalty",
    "/dashboard/segments",
    "/dashboard/health",
    "/dashboard/review",
    "/dashboard/analytics",
]


@pytest.fixture
def provider(tmp_path: Path) -> Provider:
    return Provider(tmp_path)


def _client(app: App, provider: Provider) -> TestClient:
    verifier = JwksVerifier(provider.jwks, issuer=ISSUER, audience=AUDIENCE)
    api = create_api(app, settings=HttpSettings(secure_cookies=False), identity=verifier)
    return TestClient(api, raise_server_exceptions=False, base_url="http://testserver")


def _login(client: TestClient, token: str) -> None:
    response = client.post("/dashboard/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()


def test_pages_need_a_login(app: App, provider: Provider) -> None:
    client = _client(app, provider)
    for page in PAGES:
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"
    assert client.get("/dashboard/login").status_code == 200


@pytest.mark.parametrize(
    "claims",
    [{"scope": "openid profile"}, {"iss": "https://other/"}, {"aud": "other"}, {"ttl": -120}],
)
def test_bad_tokens_do_not_log_in(app: App, provider: Provider, claims: dict[str, object]) -> None:
    client = _client(app, provider)
    token = provider.token(**claims)  # type: ignore[arg-type]
    response = client.post("/dashboard/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_a_token_of_another_key_is_refused(tmp_path: Path, provider: Provider) -> None:
    (tmp_path / "other").mkdir()
    stranger = Provider(tmp_path / "other")
    verifier = JwksVerifier(provider.jwks, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(InvalidToken):
        verifier.verify(stranger.token())
    with pytest.raises(InvalidToken):
        verifier.verify("not.a.jwt")
    assert verifier.verify(provider.token(scope="openid crm:admin")).scope.value == "admin"


def test_every_page_renders_after_login(app: App, provider: Provider) -> None:
    create_deal(app, title="Big licence", amount="900").unwrap()
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:read"))
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html")
        assert 'name="viewport"' in response.text
    assert "Big licence" in client.get("/dashboard").text


def test_moving_a_deal_uses_the_version_the_page_showed(app: App, provider: Provider) -> None:
    deal = create_deal(app, title="Move me", amount="10").unwrap()
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:write"))
    assert 'data-version="1"' in client.get("/dashboard").text
    json = {"Accept": "application/json"}
    skipping = client.post(
        f"/dashboard/deals/{deal.id}/move", data={"to": "meeting", "version": "1"}, headers=json
    )
    assert skipping.status_code == 409
    assert "skips qualified" in skipping.json()["detail"]
    moved = client.post(
        f"/dashboard/deals/{deal.id}/move",
        data={"to": "meeting", "version": "1", "skip": "met at the fair"},
        headers=json,
    )
    assert moved.status_code == 200, moved.text
    assert get_deal(app, DealId(deal.id)).unwrap().stage.value == "meeting"
    stale = client.post(
        f"/dashboard/deals/{deal.id}/move", data={"to": "proposal", "version": "1"}, headers=json
    )
    assert stale.status_code == 412
    plain = client.post(f"/dashboard/deals/{deal.id}/move", data={"to": "proposal", "version": "1"})
    assert "not moved" in plain.text  # the page says so after the redirect
    assert get_deal(app, DealId(deal.id)).unwrap().stage.value == "meeting"


def test_a_read_login_cannot_move_and_cross_site_posts_are_refused(
    app: App, provider: Provider
) -> None:
    deal = create_deal(app, title="Stay", amount="10").unwrap()
    reader = _client(app, provider)
    _login(reader, provider.token(scope="crm:read"))
    form = {"to": "meeting", "version": "1"}
    assert reader.post(f"/dashboard/deals/{deal.id}/move", data=form).status_code == 403
    writer = _client(app, provider)
    _login(writer, provider.token(scope="crm:write"))
    evil = {"Origin": "https://evil.example"}
    response = writer.post(f"/dashboard/deals/{deal.id}/move", data=form, headers=evil)
    assert response.status_code == 403
    assert get_deal(app, DealId(deal.id)).unwrap().stage.value == "lead"
    move_deal(app, DealId(deal.id), to="qualified").unwrap()  # the use case still works


def test_a_review_item_is_resolved_from_the_page(app: App, provider: Provider) -> None:
    event = {
        "id": "m1",
        "type": "message",
        "occurred_at": "2026-01-05T10:00:00+03:00",
        "customer": {"email": "a@example.com"},
        "data": {"text": "good but slow", "channel": "telegram"},
    }
    ingest_events(app, [event]).unwrap()
    assert process_inbox(app).unwrap().review == 1
    [item] = list_reviews(app).unwrap()
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:write"))
    assert item.event_id in client.get("/dashboard/review").text
    done = client.post(f"/dashboard/review/{item.id}/resolve", data={"decision": "label:negative"})
    assert done.status_code == 200
    assert "resolved" in done.text
    assert list_reviews(app).unwrap() == []


def test_without_an_identity_provider_there_is_no_dashboard(app: App) -> None:
    client = TestClient(create_api(app), raise_server_exceptions=False)
    assert client.get("/dashboard", follow_redirects=False).status_code == 404


def test_the_loyalty_board_lists_the_cards_of_each_level(app: App, provider: Provider) -> None:
    from datetime import date
    from uuid import UUID

    from crmcore.app.loyalty.board import open_card
    from crmcore.app.loyalty.cards_view import cards_by_level

    for n in range(3):
        open_card(
            app, customer=UUID(int=n + 1), name=f"Cust {n}", first_interaction=date(2026, 1, 2)
        )
    levels = cards_by_level(app, per_level=2).unwrap()
    assert sum(len(cards) for cards in levels.values()) == 2  # bounded per level
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:read"))
    page = client.get("/dashboard/loyalty").text
    assert "Cust 2" in page
    assert "Cust 0" in page


def test_a_resent_move_form_gets_the_first_answer(app: App, provider: Provider) -> None:
    deal = create_deal(app, title="Twice", amount="10").unwrap()
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:write"))
    page = client.get("/dashboard").text
    assert page.count('name="idempotency_key"') == 1
    form = {"to": "qualified", "version": "1", "idempotency_key": "page-form-1"}
    path = f"/dashboard/deals/{deal.id}/move"
    first = client.post(path, data=form, follow_redirects=False)
    again = client.post(path, data=form, follow_redirects=False)
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["location"] == first.headers["location"] == "/dashboard"
    assert again.headers["idempotent-replayed"] == "true"
    assert get_deal(app, DealId(deal.id)).unwrap().version == 2  # moved once
    fresh = client.post(path, data={**form, "idempotency_key": "page-form-2"})
    assert "not moved" in fresh.text  # a new key runs again: version 1 is stale now


def test_the_analytics_page_charts_the_reports(app: App, provider: Provider) -> None:
    create_deal(
        app, title="Forecast me", amount="900", currency="EUR", expected_close=date(2026, 3, 1)
    ).unwrap()
    client = _client(app, provider)
    _login(client, provider.token(scope="crm:read"))
    page = client.get("/dashboard/analytics")
    assert page.status_code == 200
    assert "Funnel" in page.text
    assert "2026-03 EUR" in page.text
    assert 'class="bar"' in page.text  # the forecast's bar
    assert "no billing facts" in page.text
