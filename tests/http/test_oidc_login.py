"""The dashboard's OpenID Connect login by redirect (authorization code + PKCE) against a
tiny fake provider: discovery, authorize, token and JWKS endpoints, in memory."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient

from crmcore.adapters.identity.jwks import JwksVerifier
from crmcore.adapters.identity.oidc import OidcLogin
from crmcore.app.context import App
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from crmcore.ports.identity import InvalidToken
from tests.http.identity import Provider

ISSUER = "https://sso.example.test"
CLIENT = "crm-dashboard"


class FakeProvider:
    """An OpenID provider that knows one user; it checks what a real one checks."""

    def __init__(self, directory: Path) -> None:
        self.signer = Provider(directory)
        self.codes: dict[str, dict[str, str]] = {}
        self.scope = "crm:write"
        self.calls: list[str] = []
        self.logout = True  # whether discovery names an end_session_endpoint
        self.sessions_ended: list[str] = []

    def get_json(self, url: str) -> Any:
        self.calls.append(url)
        if url == f"{ISSUER}/.well-known/openid-configuration":
            found = {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
            }
            if self.logout:
                found["end_session_endpoint"] = f"{ISSUER}/logout?ui=min"
            return found
        if url == f"{ISSUER}/jwks":
            return json.loads(self.signer.jwks.read_text(encoding="utf-8"))
        raise InvalidToken("404")

    def authorize(self, url: str) -> str:
        """The user logs in at the provider: the callback URL it sends the browser to."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert (q["response_type"], q["client_id"], q["code_challenge_method"]) == (
            "code",
            CLIENT,
            "S256",
        )
        code = secrets.token_urlsafe(16)
        self.codes[code] = q
        return f"{q['redirect_uri']}?code={code}&state={q['state']}"

    def end_session(self, url: str, registered: str) -> str:
        """The browser arrives at the end-session endpoint: the ID token hint must be one
        this provider issued to this client; the user's session ends and the browser goes
        to the post-logout URI, which must be the ``registered`` one."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/logout"
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert q["ui"] == "min"  # the endpoint's own query is kept
        assert q["client_id"] == CLIENT
        assert q["post_logout_redirect_uri"] == registered
        key = jwt.PyJWKSet.from_json(self.signer.jwks.read_text(encoding="utf-8")).keys[0]
        claims = jwt.decode(q["id_token_hint"], key=key, algorithms=["RS256"], audience=CLIENT)
        self.sessions_ended.append(claims["sub"])
        return q["post_logout_redirect_uri"]

    def post_form(self, url: str, data: Mapping[str, str]) -> Any:
        assert url == f"{ISSUER}/token"
        asked = self.codes.pop(data["code"], None)  # a code is used once
        if asked is None or asked["redirect_uri"] != data["redirect_uri"]:
            raise InvalidToken("the provider answered 400")
        digest = hashlib.sha256(data["code_verifier"].encode()).digest()
        if base64.urlsafe_b64encode(digest).decode().rstrip("=") != asked["code_challenge"]:
            raise InvalidToken("the provider answered 400")  # PKCE: not the same browser
        token = self.signer.token(scope=self.scope, iss=ISSUER, aud=CLIENT, nonce=asked["nonce"])
        return {"id_token": token, "token_type": "Bearer"}


@pytest.fixture
def idp(tmp_path: Path) -> FakeProvider:
    return FakeProvider(tmp_path)


def _client(app: App, idp: FakeProvider) -> TestClient:
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    api = create_api(app, settings=HttpSettings(secure_cookies=False), login=login)
    return TestClient(api, raise_server_exceptions=False, base_url="http://testserver")


def _start(client: TestClient) -> str:
    started = client.get("/dashboard/login/start", follow_redirects=False)
    assert started.status_code == 303, started.text
    assert "samesite=lax" in started.headers["set-cookie"].lower()
    location: str = started.headers["location"]
    return location


def test_a_login_by_redirect_opens_the_dashboard(app: App, idp: FakeProvider) -> None:
    client = _client(app, idp)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert "single sign-on" in client.get("/dashboard/login").text
    back = idp.authorize(_start(client))
    done = client.get(back, follow_redirects=False)
    assert done.status_code == 200, done.text
    assert 'url=/dashboard"' in done.text
    cookie = done.headers["set-cookie"].lower()
    assert "crm_session=" in cookie
    assert "samesite=strict" in cookie
    assert "httponly" in cookie
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Ann Operator" in page.text
    assert client.get(back, follow_redirects=False).status_code == 401  # the code is spent


def test_a_callback_with_another_state_or_without_the_browser_cookie_fails(
    app: App, idp: FakeProvider
) -> None:
    client = _client(app, idp)
    back = idp.authorize(_start(client))
    forged = back.replace("state=", "state=x")
    assert client.get(forged, follow_redirects=False).status_code == 401
    other = _client(app, idp)  # another browser: no pending login cookie
    assert other.get(back, follow_redirects=False).status_code == 401
    assert "crm_session" not in other.cookies


def test_pkce_nonce_and_scope_are_checked(app: App, idp: FakeProvider) -> None:
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    back = "http://testserver/dashboard/callback"
    begun = login.start(redirect_uri=back)
    code = parse_qs(urlsplit(idp.authorize(begun.url)).query)["code"][0]
    with pytest.raises(InvalidToken):  # another verifier: PKCE fails at the provider
        login.finish(code=code, verifier="x" * 43, nonce=begun.nonce, redirect_uri=back)
    assert code not in idp.codes  # refused after the code was looked at, not before
    begun = login.start(redirect_uri="http://testserver/dashboard/callback")
    code = parse_qs(urlsplit(idp.authorize(begun.url)).query)["code"][0]
    with pytest.raises(InvalidToken, match="nonce"):
        login.finish(
            code=code,
            verifier=begun.verifier,
            nonce="another",
            redirect_uri="http://testserver/dashboard/callback",
        )
    idp.scope = "openid"
    client = _client(app, idp)
    back = idp.authorize(_start(client))
    refused = client.get(back, follow_redirects=False)
    assert refused.status_code == 401
    assert "no crm scope" in refused.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_token_of_another_issuer_is_refused(app: App, idp: FakeProvider, tmp_path: Path) -> None:
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    (tmp_path / "other").mkdir()
    stranger = Provider(tmp_path / "other", kid="k1")  # same kid, another key
    with pytest.raises(InvalidToken):
        login.verify(stranger.token(iss=ISSUER, aud=CLIENT))
    with pytest.raises(InvalidToken):
        login.verify(idp.signer.token(iss="https://evil.test", aud=CLIENT))
    assert login.verify(idp.signer.token(iss=ISSUER, aud=CLIENT)).subject == "ann"
    assert jwt.get_unverified_header(idp.signer.token())["kid"] == "k1"


def test_unknown_key_ids_reload_the_keys_at_most_once_a_minute(idp: FakeProvider) -> None:
    now = [1000.0]
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp, monotonic=lambda: now[0])
    assert login.verify(idp.signer.token(iss=ISSUER, aud=CLIENT)).subject == "ann"
    fetched = idp.calls.count(f"{ISSUER}/jwks")
    with pytest.raises(InvalidToken):
        login.verify(_kid("made-up"))
    assert idp.calls.count(f"{ISSUER}/jwks") == fetched  # the keys are a second old
    now[0] += 61
    for n in range(5):  # five tokens naming unknown keys: one reload
        with pytest.raises(InvalidToken):
            login.verify(_kid(f"made-up-{n}"))
    assert idp.calls.count(f"{ISSUER}/jwks") == fetched + 1
    assert login.verify(idp.signer.token(iss=ISSUER, aud=CLIENT)).subject == "ann"


def _kid(kid: str) -> str:
    """A token naming a key id the provider never had (signed with a throw-away key)."""
    return jwt.encode({"sub": "x"}, "s" * 32, algorithm="HS256", headers={"kid": kid})


def _logged_in(app: App, idp: FakeProvider) -> TestClient:
    client = _client(app, idp)
    assert client.get(idp.authorize(_start(client)), follow_redirects=False).status_code == 200
    assert client.get("/dashboard").status_code == 200
    return client


def test_logout_ends_the_session_at_the_provider_too(app: App, idp: FakeProvider) -> None:
    client = _logged_in(app, idp)
    out = client.post("/dashboard/logout", follow_redirects=False)
    assert out.status_code == 303
    assert 'crm_session=""' in out.headers["set-cookie"]  # deleted here
    back = idp.end_session(out.headers["location"], "http://testserver/dashboard/login")
    assert idp.sessions_ended == ["ann"]
    assert client.get(back).status_code == 200
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_is_local_without_an_end_session_endpoint(app: App, idp: FakeProvider) -> None:
    idp.logout = False
    client = _logged_in(app, idp)
    out = client.post("/dashboard/logout", follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/dashboard/login")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_token_the_provider_did_not_issue_is_never_sent_to_it(
    app: App, idp: FakeProvider, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = Provider(tmp_path / "other", kid="k2")
    pasted = JwksVerifier(other.jwks, issuer=ISSUER, audience=CLIENT)
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    settings = HttpSettings(secure_cookies=False)
    api = create_api(app, settings=settings, identity=pasted, login=login)
    client = TestClient(api, raise_server_exceptions=False, base_url="http://testserver")
    token = other.token(iss=ISSUER, aud=CLIENT)
    assert client.post("/dashboard/login", data={"token": token}).status_code == 200
    out = client.post("/dashboard/logout", follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/dashboard/login")
    assert idp.sessions_ended == []


def test_end_session_url_names_the_hint_client_and_return_address(idp: FakeProvider) -> None:
    login = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    token = idp.signer.token(iss=ISSUER, aud=CLIENT)
    url = login.end_session(id_token=token, post_logout_redirect_uri="https://crm.test/x?a=1")
    assert url is not None
    assert idp.end_session(url, "https://crm.test/x?a=1") == "https://crm.test/x?a=1"
    idp.logout = False
    fresh = OidcLogin(issuer=ISSUER, client_id=CLIENT, transport=idp)
    assert fresh.end_session(id_token=token, post_logout_redirect_uri="https://crm.test/") is None
