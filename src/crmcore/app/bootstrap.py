"""The composition root: the only place that chooses adapters (STYLE habit 9)."""

from __future__ import annotations

from datetime import datetime

from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.memory.uow import MemoryUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds, SystemClock, Uuid7Source
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
    """Build an application from settings; ``memory://`` gives in-memory adapters."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    ids = ids or Uuid7Source()
    publisher = publisher or MemoryPublisher()
    if settings.db_url.startswith("memory"):
        db = MemoryDatabase()

        def memory_uow() -> UnitOfWork:
            return MemoryUnitOfWork(db, clock=clock, ids=ids)

        return App(uow=memory_uow, clock=clock, ids=ids, publisher=publisher, settings=settings)
    raise UnsupportedDatabase(
        f"unsupported database URL {settings.db_url!r}: use {MEMORY_URL} "
        "(SQL backends arrive with the storage adapters)"
    )


def bootstrap_replayable(settings: Settings, *, at: datetime, seed: int) -> App:
    """An application whose clock stands at ``at`` and whose ids come from ``seed``.

    Used by ``crm demo`` so that the same seed builds the same CRM on every run.
    """
    return bootstrap(settings, clock=FixedClock(at), ids=SequentialIds(seed=seed))
