"""Shared fixtures: applications wired with memory adapters, and service requirements.

Tests that need PostgreSQL or Redis use the ``postgres_url`` / ``redis_url`` fixtures.
They skip when the service is absent, unless ``CRMCORE_REQUIRE_SERVICES=1`` (CI), where a
missing service fails the test instead.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, Phase, settings

from crmcore import App, Settings, bootstrap
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=50)
# scripts/mutation: the same examples on every run, so a mutant's verdict is repeatable; no
# shrinking, since any failing example kills the mutant.
settings.register_profile(
    "mutation",
    deadline=None,
    max_examples=50,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

REQUIRE_SERVICES = os.environ.get("CRMCORE_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("CRMCORE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CRMCORE_TEST_REDIS", "redis://127.0.0.1:6379/15")

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (developer laptop) or fail (CI) when a service is not listening."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and CRMCORE_REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL test database URL (skips or fails when it is down)."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return PG_URL


@pytest.fixture
def redis_url() -> str:
    """The Redis test URL (skips or fails when it is down)."""
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at a Monday morning in January 2026."""
    return FixedClock(T0)


@pytest.fixture
def publisher() -> MemoryPublisher:
    """Collects published events."""
    return MemoryPublisher()


@pytest.fixture
def app(clock: FixedClock, publisher: MemoryPublisher) -> App:
    """An application on memory adapters with a fixed clock and deterministic ids."""
    return bootstrap(
        Settings(db_url="memory://"), clock=clock, ids=SequentialIds(), publisher=publisher
    )
