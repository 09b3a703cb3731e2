"""The installed ``crm demo`` in a subprocess, run twice on one SQLite file and one
PostgreSQL database: the same tour both times, and not one row more the second time."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crmcore.app.bootstrap import upgrade_database
from tests.databases import fresh_postgres
from tests.e2e.test_cli_e2e import crm_command, environment

TABLES = (
    "accounts",
    "contacts",
    "leads",
    "deals",
    "deal_stage_history",
    "activities",
    "transactions",
    "loyalty_facts",
    "loyalty_cards",
    "loyalty_moves",
    "health_scores",
    "outbox",
)


def crm(db_url: str, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """``crm --db URL ...`` with the console script, as the README runs it."""
    env = environment(db_url)
    env.pop("CRMCORE_DB")  # the URL comes from --db
    done = subprocess.run(
        [*crm_command(), "--db", db_url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == code, done.stderr
    return done


def row_counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in TABLES
            }
    finally:
        engine.dispose()


def twice(db_url: str) -> str:
    """Run the demo twice (and once as JSON): same tour, same row counts."""
    first = crm(db_url, "demo")
    counts = row_counts(db_url)
    assert all(counts.values()), counts
    second = crm(db_url, "demo")
    assert second.stdout == first.stdout
    assert "already in this database" in second.stderr
    assert row_counts(db_url) == counts
    document = json.loads(crm(db_url, "--format", "json", "demo").stdout)
    assert (document["seed"], document["size"]) == (7, "small")
    assert row_counts(db_url) == counts
    return first.stdout


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with fresh_postgres(postgres_url, prefix="crmcore_demo_e2e") as url:
        upgrade_database(url)
        yield url


def test_demo_twice_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    tour = twice(url)
    assert "RFM segments" in tour
    assert "Accounts in the red" in tour
    assert max(len(line) for line in tour.splitlines()) <= 100
    refused = crm(url, "demo", "--seed", "8", code=1)
    assert "holds the demo of seed 7" in refused.stderr


@pytest.mark.postgres
def test_demo_twice_on_postgresql_prints_the_sqlite_tour(pg_url: str, tmp_path: Path) -> None:
    on_pg = twice(pg_url)
    on_sqlite = crm(f"sqlite:///{tmp_path / 'x.db'}", "demo").stdout
    assert on_pg == on_sqlite
