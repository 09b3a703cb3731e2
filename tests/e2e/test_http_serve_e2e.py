"""``crm apikeys`` and ``crm serve`` in subprocesses: a key made by the CLI opens the API
that ``crm serve`` runs, only its hash is stored, and a revoked key is refused."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "crmcore", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crm.db'}"


@pytest.fixture
def served(db: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmcore", "--db", db, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # start-up: wait for the port, not for a duration
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read() if proc.stderr else b"") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_apikeys_create_list_revoke(db: str, tmp_path: Path) -> None:
    made = _crm("--db", db, "apikeys", "create", "ci", "--scope", "read", "--format", "json")
    assert made.returncode == 0, made.stderr
    body = json.loads(made.stdout)
    token = body["key"]
    assert token.startswith("crm_")
    listed = _crm("--db", db, "apikeys", "list", "--format", "json")
    assert token not in listed.stdout
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["scope"], r["revoked_at"]) for r in rows] == [("ci", "read", None)]
    with sqlite3.connect(tmp_path / "crm.db") as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys").fetchall()
    assert token not in repr(stored)
    assert _crm("--db", db, "apikeys", "revoke", body["id"]).returncode == 0
    assert _crm("--db", db, "apikeys", "create", "x", "--scope", "root").returncode == 2
    assert (
        _crm("--db", db, "apikeys", "revoke", "00000000-0000-0000-0000-000000000001").returncode
        == 1
    )


@pytest.mark.slow
def test_serve_answers_with_a_cli_key(db: str, served: str) -> None:
    made = _crm("--db", db, "apikeys", "create", "w", "--scope", "write", "--format", "json")
    token = json.loads(made.stdout)["key"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{served}/crm/leads").status_code == 401
    created = httpx.post(
        f"{served}/crm/leads", json={"email": "e2e@example.com", "first_name": "E"}, headers=auth
    )
    assert created.status_code == 201
    listed = httpx.get(f"{served}/crm/leads", headers=auth).json()
    assert [x["email"] for x in listed["items"]] == ["e2e@example.com"]
    shown = _crm("--db", db, "leads", "list", "--format", "json")
    assert "e2e@example.com" in shown.stdout  # the CLI sees what the API wrote


def test_serve_refuses_an_in_memory_sqlite() -> None:
    result = _crm("--db", "sqlite://", "serve")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_dashboard_without_its_issuer(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    env_db = f"sqlite:///{tmp_path / 'x.db'}"
    cmd = [sys.executable, "-m", "crmcore", "--db", env_db, "serve"]
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CRMCORE_HTTP_JWKS_FILE": str(jwks), "CRMCORE_HTTP_JWT_ISSUER": ""},
    )
    assert result.returncode == 2
    assert "issuer" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("CRMCORE_HTTP_OIDC_ISSUER", "https://sso.example.test", "OIDC_CLIENT_ID"),
        ("CRMCORE_HTTP_SHARED_STORE", "memcached://127.0.0.1", "redis://"),
    ],
)
def test_serve_refuses_half_a_login_or_an_unknown_shared_store(
    tmp_path: Path, setting: str, value: str, said: str
) -> None:
    cmd = [sys.executable, "-m", "crmcore", "--db", f"sqlite:///{tmp_path / 'x.db'}", "serve"]
    env = {**os.environ, setting: value}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_webhooks_add_list_remove(db: str) -> None:
    made = _crm("--db", db, "webhooks", "add", "https://hooks.example.com/x", "--format", "json")
    assert made.returncode == 0, made.stderr
    sub = json.loads(made.stdout)
    assert sub["secret"]
    assert sub["event_type"] == "crm.*"
    listed = _crm("--db", db, "webhooks", "list", "--format", "json")
    assert sub["secret"] not in listed.stdout
    assert _crm("--db", db, "webhooks", "remove", sub["id"]).returncode == 0
    rows = json.loads(_crm("--db", db, "webhooks", "list", "--format", "json").stdout)
    assert [r["active"] for r in rows] == [False]
    refused = _crm("--db", db, "webhooks", "add", "http://example.com/x")
    assert refused.returncode == 2
    assert "https" in refused.stderr
