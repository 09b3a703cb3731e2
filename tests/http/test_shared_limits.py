"""Rate limits and the verified-key cache across ``crm serve --workers N`` processes:
in a shared store (Redis) one limit holds for all workers; without one each worker
enforces its share. Two applications over one database stand for two workers."""

from __future__ import annotations

import time
import uuid

import attrs
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from crmcore.adapters.limits.redis_limits import RedisRateBuckets, RedisVerifiedKeys, client
from crmcore.app.access.apikeys import create_api_key, list_api_keys, revoke_api_key
from crmcore.app.context import App
from crmcore.app.http.api import create_api
from crmcore.app.http.limits import LocalVerifiedKeys, worker_share
from crmcore.app.http.settings import HttpSettings
from tests.http_client import Ticks


def _workers(app: App, settings: HttpSettings, n: int = 2) -> list[TestClient]:
    ticks = Ticks()  # the clock of the in-process buckets stands still
    return [
        TestClient(
            create_api(app, settings=settings, monotonic=ticks), raise_server_exceptions=False
        )
        for _ in range(n)
    ]


def _codes(clients: list[TestClient], token: str, order: list[int]) -> list[int]:
    auth = {"Authorization": f"Bearer {token}"}
    return [clients[i].get("/crm/leads", headers=auth).status_code for i in order]


@given(
    rate=st.floats(min_value=0.01, max_value=1000),
    burst=st.integers(min_value=1, max_value=10_000),
    workers=st.integers(min_value=1, max_value=64),
)
def test_the_shares_of_the_workers_never_add_up_to_more_than_the_limit(
    rate: float, burst: int, workers: int
) -> None:
    each_rate, each_burst = worker_share(rate, burst, workers)
    assert each_rate * workers == pytest.approx(rate)
    assert each_burst >= 1
    assert each_burst * workers <= max(burst, workers)
    assert (each_burst + 1) * workers > burst  # and not much less


def test_without_a_shared_store_each_worker_spends_its_share(app: App) -> None:
    token = create_api_key(app, name="w", scope="read").unwrap().token
    clients = _workers(app, HttpSettings(key_rate=0.001, key_burst=4, workers=2))
    assert _codes(clients, token, [0, 0, 0, 1, 1, 1]) == [200, 200, 429, 200, 200, 429]


@pytest.fixture
def shared(redis_url: str) -> HttpSettings:
    prefix = f"crm:test:{uuid.uuid4().hex}:"
    return HttpSettings(
        key_rate=0.001, key_burst=3, workers=2, shared_store=redis_url, shared_prefix=prefix
    )


def test_with_redis_one_limit_holds_across_workers(app: App, shared: HttpSettings) -> None:
    token = create_api_key(app, name="w", scope="read").unwrap().token
    clients = _workers(app, shared)
    assert _codes(clients, token, [0, 1, 0, 1, 0]) == [200, 200, 200, 429, 429]
    limited = clients[1].get("/crm/leads", headers={"Authorization": f"Bearer {token}"})
    assert int(limited.headers["retry-after"]) > 1
    other = create_api_key(app, name="o", scope="read").unwrap().token
    assert _codes(clients, other, [1]) == [200]  # a bucket per key


def test_with_redis_a_key_verified_by_one_worker_is_trusted_by_the_others(
    app: App, shared: HttpSettings
) -> None:
    token = create_api_key(app, name="w", scope="read").unwrap().token
    clients = _workers(app, attrs.evolve(shared, key_burst=100, key_cache_seconds=30))
    assert _codes(clients, token, [0]) == [200]
    key = next(k for k in list_api_keys(app).unwrap() if k.name == "w")
    revoke_api_key(app, key.id).unwrap()
    # worker 1 never read the key: it trusts worker 0's verification (for the cache's ttl)
    assert _codes(clients, token, [1]) == [200]


def test_the_redis_cache_round_trips_a_key_and_forgets_it(app: App, redis_url: str) -> None:
    key = create_api_key(app, name="c", scope="write").unwrap().key
    conn = client(redis_url)
    prefix = f"crm:test:{uuid.uuid4().hex}:"
    one = RedisVerifiedKeys(conn, prefix=prefix, ttl=0.3)
    two = RedisVerifiedKeys(conn, prefix=prefix, ttl=0.3)
    one.put("d1", key)
    assert two.get("d1") == key
    two.forget("d1")
    assert one.get("d1") is None
    one.put("d2", key)
    time.sleep(0.4)
    assert two.get("d2") is None  # its time to live is over


def test_an_unreachable_store_lets_requests_through() -> None:
    conn = client("redis://127.0.0.1:1/0")
    assert RedisRateBuckets(conn, prefix="x:", rate=1, burst=1).take("k") == 0.0
    assert RedisVerifiedKeys(conn, prefix="x:", ttl=1).get("d") is None


def test_the_local_cache_keeps_active_keys_for_its_ttl(app: App) -> None:
    key = create_api_key(app, name="l", scope="read").unwrap().key
    ticks = Ticks()
    cache = LocalVerifiedKeys(ttl=5, now=ticks)
    cache.put("d", key)
    assert cache.get("d") == key
    ticks.now += 5
    assert cache.get("d") is None
    cache.put("r", key.revoke(at=key.created_at))
    assert cache.get("r") is None


def test_revoking_from_the_cli_drops_the_key_from_the_shared_cache(
    app: App, shared: HttpSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from crmcore.app.cli.main import CliState, cli

    made = create_api_key(app, name="r", scope="read").unwrap()
    assert shared.shared_store is not None
    cache = RedisVerifiedKeys(
        client(shared.shared_store), prefix=f"{shared.shared_prefix}verified:", ttl=30
    )
    cache.put(made.key.key_hash, made.key)  # a worker verified it a moment ago
    monkeypatch.setenv("CRMCORE_HTTP_SHARED_STORE", shared.shared_store)
    monkeypatch.setenv("CRMCORE_HTTP_SHARED_PREFIX", shared.shared_prefix)
    result = CliRunner().invoke(cli, ["apikeys", "revoke", str(made.key.id)], obj=CliState(app=app))
    assert result.exit_code == 0, result.output
    assert cache.get(made.key.key_hash) is None
    clients = _workers(app, attrs.evolve(shared, key_burst=100, key_cache_seconds=30))
    assert _codes(clients, made.token, [0, 1]) == [401, 401]
