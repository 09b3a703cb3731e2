"""The composition root: the only place that chooses adapters."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from crmcore.adapters.broker.jsonl import JsonLinesPublisher
from crmcore.adapters.broker.redis_streams import DEFAULT_STREAM, RedisStreamsPublisher
from crmcore.adapters.insight import RuleBasedInsight
from crmcore.adapters.memory.database import MemoryDatabase
from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import UnsupportedUrl, is_sqlite, make_engine
from crmcore.adapters.sql.event_processing import SqlEventUnitOfWork
from crmcore.adapters.sql.migrate import SchemaMismatch, ensure_schema
from crmcore.adapters.system import FixedClock, SequentialIds, SystemClock, Uuid7Source
from crmcore.app.context import App, Settings
from crmcore.app.events.config import EventServices, EventSettings
from crmcore.app.handlers import message_bus
from crmcore.domain.clv import ClvFit, ClvPrediction, CustomerSummary, TimeUnit
from crmcore.ports.clv import ClvModel, SummaryColumns
from crmcore.ports.enrichment import Enricher
from crmcore.ports.errors import StorageUnavailable
from crmcore.ports.event_processing import CustomerInsight, EventUnitOfWork, SentimentAnalyser
from crmcore.ports.events import EventPublisher
from crmcore.ports.system import Clock, IdSource

MEMORY_URL = "memory://"


class UnsupportedDatabase(ValueError):
    """The database URL names a backend this build cannot use."""


def is_throwaway_sqlite(db_url: str) -> bool:
    """True for an in-memory SQLite URL (``sqlite://``, ``sqlite:///:memory:``): each
    connection sees its own empty database, gone when the process ends."""
    try:
        parsed = make_url(db_url)
    except (ArgumentError, ValueError):
        return False
    if parsed.get_backend_name() != "sqlite":
        return False
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


class LazyClvModel:
    """``NumpyClvModel``, imported on first use (NumPy/SciPy stay out of CLI start-up)."""

    def __init__(self) -> None:
        self._model: ClvModel | None = None

    def _get(self) -> ClvModel:
        if self._model is None:
            from crmcore.adapters.clv import NumpyClvModel

            self._model = NumpyClvModel()
        return self._model

    def fit(
        self, summaries: Sequence[CustomerSummary] | SummaryColumns, *, as_of: date, unit: TimeUnit
    ) -> ClvFit:
        """See :meth:`crmcore.ports.clv.ClvModel.fit`."""
        return self._get().fit(summaries, as_of=as_of, unit=unit)

    def predict(
        self,
        fit: ClvFit,
        summaries: Sequence[CustomerSummary],
        *,
        horizon: float,
        discount_rate: float,
    ) -> list[ClvPrediction]:
        """See :meth:`crmcore.ports.clv.ClvModel.predict`."""
        return self._get().predict(fit, summaries, horizon=horizon, discount_rate=discount_rate)


def wire(
    uow: Callable[[], EventUnitOfWork],
    *,
    settings: Settings,
    clock: Clock,
    ids: IdSource,
    publisher: EventPublisher,
    single_writer: bool,
    sentiment: SentimentAnalyser | None = None,
    insight: CustomerInsight | None = None,
    pipeline_settings: EventSettings | None = None,
    jitter: random.Random | None = None,
) -> App:
    """An application over a unit-of-work factory: the event pipeline's services and the
    message bus with every capability's handlers (what :func:`bootstrap` builds on the
    store a URL names; tests use it on stores they prepared)."""
    return App(
        uow=uow,
        clock=clock,
        ids=ids,
        publisher=publisher,
        settings=settings,
        events=EventServices(
            uow=uow,
            single_writer=single_writer,
            sentiment=sentiment or LexiconSentimentAnalyser(),
            insight=insight or RuleBasedInsight(),
            settings=pipeline_settings or EventSettings.from_env(),
            jitter=(jitter or random.Random()).random,
        ),
        clv_model=LazyClvModel(),
        bus=message_bus(),
    )


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    ids: IdSource | None = None,
    publisher: EventPublisher | None = None,
    sentiment: SentimentAnalyser | None = None,
    insight: CustomerInsight | None = None,
    pipeline_settings: EventSettings | None = None,
    jitter: random.Random | None = None,
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

    def app(uow: Callable[[], EventUnitOfWork], *, single_writer: bool) -> App:
        return wire(
            uow,
            settings=settings,
            clock=clock,
            ids=ids,
            publisher=publisher,
            single_writer=single_writer,
            sentiment=sentiment,
            insight=insight,
            pipeline_settings=pipeline_settings,
            jitter=jitter,
        )

    if settings.db_url.startswith("memory"):
        db = MemoryDatabase()

        def memory_uow() -> EventUnitOfWork:
            return MemoryEventUnitOfWork(db, clock=clock, ids=ids)

        return app(memory_uow, single_writer=True)
    try:
        engine = make_engine(settings.db_url)
    except UnsupportedUrl as exc:
        raise UnsupportedDatabase(f"{exc} (or {MEMORY_URL})") from exc
    # A new (or older) SQLite file is migrated on first use; PostgreSQL needs `crm db upgrade`.
    try:
        ensure_schema(engine, auto_upgrade=is_sqlite(engine))
    except SchemaMismatch:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        hint = SQLITE_PATH_HINT if is_sqlite(engine) else ""
        raise StorageUnavailable(
            f"cannot open {engine.url.render_as_string()}: {_one_line(exc.orig)}{hint}"
        ) from exc

    def sql_pipeline_uow() -> EventUnitOfWork:
        return SqlEventUnitOfWork(engine, clock=clock, ids=ids)

    return app(sql_pipeline_uow, single_writer=is_sqlite(engine))


def bootstrap_replayable(settings: Settings, *, at: datetime, seed: int) -> App:
    """An application whose clock stands at ``at`` and whose ids come from ``seed``.

    Used by ``crm demo`` so that the same seed builds the same CRM on every run.
    """
    return bootstrap(settings, clock=FixedClock(at), ids=SequentialIds(seed=seed))


def _sql_engine(db_url: str) -> Engine:
    if db_url.startswith("memory"):
        raise UnsupportedDatabase("an in-memory database has no schema to migrate")
    try:
        return make_engine(db_url)
    except UnsupportedUrl as exc:
        raise UnsupportedDatabase(str(exc)) from exc


def upgrade_database(db_url: str, *, revision: str = "head") -> str:
    """Apply the shipped migrations to ``db_url``; returns the revision reached.

    Raises ``SchemaMismatch`` for a database newer than the code, ``StorageUnavailable``
    when it cannot be reached.
    """
    engine = _sql_engine(db_url)
    try:
        return migrate.upgrade(engine, revision)
    except DBAPIError as exc:
        raise StorageUnavailable(
            f"cannot migrate {engine.url.render_as_string()}: {_one_line(exc.orig)}"
        ) from exc
    finally:
        engine.dispose()


def database_revision(db_url: str) -> tuple[str | None, str]:
    """``(the database's revision or None, the newest revision this code knows)``."""
    engine = _sql_engine(db_url)
    try:
        return migrate.current(engine), migrate.head()
    except DBAPIError as exc:
        raise StorageUnavailable(
            f"cannot read {engine.url.render_as_string()}: {_one_line(exc.orig)}"
        ) from exc
    finally:
        engine.dispose()


__all__ = [
    "MEMORY_URL",
    "SchemaMismatch",
    "UnsupportedDatabase",
    "UnsupportedPublisher",
    "bootstrap",
    "database_revision",
    "make_publisher",
    "upgrade_database",
]


#: What a SQLite file that cannot be opened is most often about.
SQLITE_PATH_HINT = (
    " (sqlite:///crm.db, three slashes, is a path relative to the current directory;"
    " sqlite:////var/lib/crm.db, four, an absolute one; its folder must exist)"
)


def _one_line(error: BaseException | None) -> str:
    return " ".join(str(error).split())


def make_publisher(spec: str) -> EventPublisher:
    """A publisher from its spec: ``memory``, ``jsonl:PATH``, or ``redis://host:port/db``
    (optionally ``?stream=NAME``, default ``crm.events``)."""
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    if spec == "memory":
        return MemoryPublisher()
    if spec.startswith("jsonl:"):
        path = spec.removeprefix("jsonl:")
        if not path:
            raise UnsupportedPublisher("jsonl: needs a file path, e.g. jsonl:events.jsonl")
        return JsonLinesPublisher(path)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        parts = urlsplit(spec)
        query = parse_qs(parts.query)
        stream = query.pop("stream", [DEFAULT_STREAM])[0]
        rest = "&".join(f"{k}={v}" for k, vs in query.items() for v in vs)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
        return RedisStreamsPublisher(url, stream=stream)
    raise UnsupportedPublisher(
        f"unknown publisher {spec!r}: use memory, jsonl:PATH or redis://host:port/db"
    )


class UnsupportedPublisher(ValueError):
    """The publisher spec names nothing this build can publish to."""


def lookup_enricher(path: str) -> Enricher:
    """The default enricher (issue 18): the operator's lookup table (CSV) by domain.
    Raises ``ValueError`` when the table cannot be used."""
    from crmcore.adapters.enrichment.lookup import LookupTableEnricher

    return LookupTableEnricher.from_csv(path)
