"""The composition root: the only place that chooses adapters (STYLE habit 9)."""

from __future__ import annotations

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.memory.uow import MemoryUnitOfWork
from crmcore.adapters.sql.engine import UnsupportedUrl, is_sqlite, make_engine
from crmcore.adapters.sql.migrate import ensure_schema
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import SystemClock, Uuid7Source
from crmcore.app.context import App, Settings
from crmcore.ports.events import EventPublisher
from crmcore.ports.system import Clock, IdSource
from crmcore.ports.uow import UnitOfWork

MEMORY_URL = "memory://"


class UnsupportedDatabase(ValueError):
    """The database URL names a backend this build cannot use."""


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    ids: IdSource | None = None,
    publisher: EventPublisher | None = None,
) -> App:
    """Build an application from settings.

    ``memory://`` gives in-memory adapters; ``sqlite:///path.db`` and
    ``postgresql+psycopg://...`` give the SQL adapters. Raises ``SchemaMismatch`` when the
    database's schema is newer than the code, or (PostgreSQL) not yet upgraded.
    """
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    ids = ids or Uuid7Source()
    publisher = publisher or MemoryPublisher()
    if settings.db_url.startswith("memory"):
        db = MemoryDatabase()

        def memory_uow() -> UnitOfWork:
            return MemoryUnitOfWork(db, clock=clock, ids=ids)

        return App(uow=memory_uow, clock=clock, ids=ids, publisher=publisher, settings=settings)
    try:
        engine = make_engine(settings.db_url)
    except UnsupportedUrl as exc:
        raise UnsupportedDatabase(f"{exc} (or {MEMORY_URL})") from exc
    # A new (or older) SQLite file is migrated on first use; PostgreSQL needs `crm db upgrade`.
    ensure_schema(engine, auto_upgrade=is_sqlite(engine))

    def sql_uow() -> UnitOfWork:
        return SqlUnitOfWork(engine, clock=clock, ids=ids)

    return App(uow=sql_uow, clock=clock, ids=ids, publisher=publisher, settings=settings)
