"""The backends every contract test runs against, unchanged: memory, SQLite, PostgreSQL.

``backend`` yields a :class:`Backend` with a unit-of-work factory on an empty store.
PostgreSQL gets one fresh database per test session (per xdist worker), emptied between
tests; SQLite gets a copy of a migrated template file per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.event_processing import SqlEventUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import sql_reader, wire
from crmcore.app.context import App, Settings
from crmcore.ports.event_processing import EventUnitOfWork
from tests.conftest import PG_URL, T0, require_service
from tests.databases import copy_sqlite, fresh_postgres, migrated_sqlite_template, truncate_all

BACKENDS = ["memory", "sqlite", "postgres"]


@attrs.define
class Backend:
    """One storage backend, empty, with a fixed clock and deterministic ids."""

    name: str
    uow: Callable[[], EventUnitOfWork]  # the event pipeline's stores too (a UnitOfWork)
    clock: FixedClock
    ids: SequentialIds
    engine: Engine | None = None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """An engine on a fresh, migrated PostgreSQL database for this session."""
    from crmcore.adapters.sql import migrate

    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_storage") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Backend]:
    """An empty store of each kind."""
    clock, ids = FixedClock(T0), SequentialIds(seed=7)
    if request.param == "memory":
        db = MemoryDatabase()
        yield Backend("memory", lambda: MemoryEventUnitOfWork(db, clock=clock, ids=ids), clock, ids)
        return
    if request.param == "sqlite":
        engine = make_engine(copy_sqlite(sqlite_template, tmp_path / "crm.db"))
    else:
        engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
    yield Backend(
        request.param,
        lambda: SqlEventUnitOfWork(engine, clock=clock, ids=ids),
        clock,
        ids,
        engine,
    )
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def backend_app(backend: Backend) -> App:
    """An application over ``backend`` (memory publisher, fixed clock, sequential ids),
    wired as bootstrap wires one: the event pipeline and the message bus."""
    wired = wire(
        backend.uow,
        clock=backend.clock,
        ids=backend.ids,
        publisher=MemoryPublisher(),
        settings=Settings(db_url=f"(contract test: {backend.name})"),
        single_writer=backend.name != "postgres",
    )
    if backend.engine is None:
        return wired
    reader = sql_reader(backend.engine, clock=backend.clock, ids=backend.ids)
    return attrs.evolve(wired, reader=reader)
