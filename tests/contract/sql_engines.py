"""Throwaway SQL engines for the intelligence SQL pieces: SQLite in memory and a fresh
PostgreSQL database of our own (created here, dropped afterwards)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, require_service


def engine_for(kind: str) -> Iterator[Engine]:
    """Yield an engine of ``kind`` (sqlite or postgres); the database vanishes afterwards."""
    if kind == "sqlite":
        engine = create_engine("sqlite://")
        yield engine
        engine.dispose()
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"crmcore_intel_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(PG_URL).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sql_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each test using it runs on SQLite and on PostgreSQL."""
    yield from engine_for(request.param)
