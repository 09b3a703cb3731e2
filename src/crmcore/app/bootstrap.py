"""The composition root: the only place that chooses adapters (STYLE habit 9)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from crmcore.adapters.insight import RuleBasedInsight
from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.pipeline import MemoryPipelineUnitOfWork
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser
from crmcore.adapters.system import FixedClock, SequentialIds, SystemClock, Uuid7Source
from crmcore.app.context import App, Settings
from crmcore.app.pipeline_config import PipelineServices, PipelineSettings
from crmcore.ports.events import EventPublisher
from crmcore.ports.pipeline import CustomerInsight, PipelineUnitOfWork, SentimentAnalyser
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
    sentiment: SentimentAnalyser | None = None,
    insight: CustomerInsight | None = None,
    pipeline_settings: PipelineSettings | None = None,
    jitter: random.Random | None = None,
) -> App:
    """Build an application from settings; ``memory://`` gives in-memory adapters."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    ids = ids or Uuid7Source()
    publisher = publisher or MemoryPublisher()
    if settings.db_url.startswith("memory"):
        db = MemoryDatabase()

        def memory_uow() -> PipelineUnitOfWork:
            return MemoryPipelineUnitOfWork(db, clock=clock, ids=ids)

        services = PipelineServices(
            uow=memory_uow,
            sentiment=sentiment or LexiconSentimentAnalyser(),
            insight=insight or RuleBasedInsight(),
            settings=pipeline_settings or PipelineSettings.from_env(),
            jitter=(jitter or random.Random()).random,
        )
        uow: Callable[[], UnitOfWork] = memory_uow
        return App(
            uow=uow,
            clock=clock,
            ids=ids,
            publisher=publisher,
            settings=settings,
            pipeline=services,
        )
    raise UnsupportedDatabase(
        f"unsupported database URL {settings.db_url!r}: use {MEMORY_URL} "
        "(SQL backends arrive with the storage adapters)"
    )


def bootstrap_replayable(settings: Settings, *, at: datetime, seed: int) -> App:
    """An application whose clock stands at ``at`` and whose ids come from ``seed``.

    Used by ``crm demo`` so that the same seed builds the same CRM on every run.
    """
    return bootstrap(settings, clock=FixedClock(at), ids=SequentialIds(seed=seed))
