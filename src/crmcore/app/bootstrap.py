"""The composition root: the only place that chooses adapters."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from crmcore.adapters.insight import RuleBasedInsight
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.sentiment.lexicon import LexiconSentimentAnalyser
from crmcore.adapters.sql.engine import UnsupportedUrl, is_sqlite, make_engine, make_read_engine
from crmcore.adapters.sql.migrate import SchemaMismatch, ensure_schema
from crmcore.adapters.system import FixedClock, SequentialIds, SystemClock, Uuid7Source
from crmcore.app.context import App, Settings
from crmcore.app.errors import UnsupportedDatabase
from crmcore.app.events.config import EventServices, EventSettings
from crmcore.app.handlers import message_bus
from crmcore.app.marketing.config import ChannelOptions, MarketingServices
from crmcore.domain.campaign import CampaignChannel
from crmcore.domain.clv import ClvFit, ClvPrediction, CustomerSummary, TimeUnit
from crmcore.ports.access import RateBuckets, VerifiedKeys
from crmcore.ports.analytics import AttributionEngine, PathsReader
from crmcore.ports.clv import ClvModel, SummaryColumns
from crmcore.ports.enrichment import Enricher
from crmcore.ports.errors import StorageUnavailable
from crmcore.ports.event_processing import CustomerInsight, EventUnitOfWork, SentimentAnalyser
from crmcore.ports.events import EventPublisher
from crmcore.ports.identity import IdentityVerifier, RedirectLogin
from crmcore.ports.marketing import MessageChannel, TemplateEngine
from crmcore.ports.system import Clock, IdSource
from crmcore.ports.uow import UnitOfWork

MEMORY_URL = "memory://"


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
        marketing=marketing_services(),
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
    webhooks: bool = False,
) -> App:
    """Build an application from settings.

    ``webhooks=True`` (the outbox relay) also POSTs each relayed event to the webhook
    subscriptions that want it (``adapters.webhooks.fanout``).

    ``memory://`` gives in-memory adapters; ``sqlite:///path.db`` and
    ``postgresql+psycopg://...`` give the SQL adapters. Raises ``SchemaMismatch`` when the
    database's schema is newer than the code, or (PostgreSQL) not yet upgraded.
    """
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    ids = ids or Uuid7Source()
    publisher = publisher or MemoryPublisher()

    def app(uow: Callable[[], EventUnitOfWork], *, single_writer: bool) -> App:
        chosen = publisher
        if webhooks:
            from crmcore.adapters.webhooks.fanout import WebhookFanout

            chosen = WebhookFanout(publisher, uow=uow, clock=clock)
        return wire(
            uow,
            settings=settings,
            clock=clock,
            ids=ids,
            publisher=chosen,
            single_writer=single_writer,
            sentiment=sentiment,
            insight=insight,
            pipeline_settings=pipeline_settings,
            jitter=jitter,
        )

    # Each store's adapters are imported when it is chosen: a command pays for one.
    if settings.db_url.startswith("memory"):
        from crmcore.adapters.memory.database import MemoryDatabase
        from crmcore.adapters.memory.event_processing import MemoryEventUnitOfWork

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

    from crmcore.adapters.sql.event_processing import SqlEventUnitOfWork

    def sql_pipeline_uow() -> EventUnitOfWork:
        return SqlEventUnitOfWork(engine, clock=clock, ids=ids)

    wired = app(sql_pipeline_uow, single_writer=is_sqlite(engine))
    return attrs.evolve(wired, reader=sql_reader(engine, clock=clock, ids=ids))


def sql_reader(engine: Engine, *, clock: Clock, ids: IdSource) -> Callable[[], UnitOfWork] | None:
    """The read units of work over ``engine`` (``App.reader``): on PostgreSQL read-only
    ones over the autocommit, unpinged connections of a read engine
    (:func:`~crmcore.adapters.sql.engine.make_read_engine`); ``None`` on SQLite, whose
    deferred BEGIN costs no round trip."""
    if is_sqlite(engine):
        return None
    from crmcore.adapters.sql.uow import SqlUnitOfWork

    reads = make_read_engine(engine)

    def reader() -> UnitOfWork:
        return SqlUnitOfWork(reads, clock=clock, ids=ids, read_only=True)

    return reader


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
    from crmcore.adapters.sql import migrate

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
    from crmcore.adapters.sql import migrate

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
    """A publisher from its spec: ``jsonl:PATH`` or ``redis://host:port/db`` (optionally
    ``?stream=NAME``, default ``crm.events``).

    There is no ``memory`` spec: a relay into memory would mark events sent and lose them
    when the process ends. Tests and embedders pass a :class:`MemoryPublisher` themselves.
    """
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    if spec == "memory":
        raise UnsupportedPublisher(
            "the memory publisher keeps events only until the command ends (they would be "
            "marked sent and lost): use jsonl:PATH or redis://host:port/db"
        )
    if spec.startswith("jsonl:"):
        path = spec.removeprefix("jsonl:")
        if not path:
            raise UnsupportedPublisher("jsonl: needs a file path, e.g. jsonl:events.jsonl")
        from crmcore.adapters.broker.jsonl import JsonLinesPublisher

        return JsonLinesPublisher(path)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from crmcore.adapters.broker.redis_streams import DEFAULT_STREAM, RedisStreamsPublisher

        parts = urlsplit(spec)
        query = parse_qs(parts.query)
        stream = query.pop("stream", [DEFAULT_STREAM])[0]
        rest = "&".join(f"{k}={v}" for k, vs in query.items() for v in vs)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
        return RedisStreamsPublisher(url, stream=stream)
    raise UnsupportedPublisher(
        f"unknown publisher {spec!r}: use jsonl:PATH or redis://host:port/db"
    )


class UnsupportedPublisher(ValueError):
    """The publisher spec names nothing this build can publish to."""


def attribution_engine() -> AttributionEngine:
    """The attribution engine: NumPy, imported on first use (issue 19)."""
    from crmcore.adapters.analytics.attribution_numpy import NumpyAttribution

    return NumpyAttribution()


def shared_http_limits(
    url: str,
    *,
    key_rate: float,
    key_burst: int,
    form_rate: float,
    form_burst: int,
    ttl: float,
    prefix: str = "crm:http:",
) -> tuple[RateBuckets, RateBuckets, VerifiedKeys]:
    """The key buckets, form buckets and verified-key cache of the HTTP surface in the
    shared store ``url`` (Redis), so every ``crm serve`` worker enforces the same limits."""
    from crmcore.adapters.limits.redis_limits import (
        RedisRateBuckets,
        RedisVerifiedKeys,
        client,
    )

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"shared store {url!r}: use redis://host:port/db")
    conn = client(url)
    return (
        RedisRateBuckets(conn, prefix=f"{prefix}key:", rate=key_rate, burst=key_burst),
        RedisRateBuckets(conn, prefix=f"{prefix}form:", rate=form_rate, burst=form_burst),
        RedisVerifiedKeys(conn, prefix=f"{prefix}verified:", ttl=ttl),
    )


def oidc_login(
    issuer: str, *, client_id: str, client_secret: str | None = None, scope: str
) -> RedirectLogin:
    """The dashboard's OpenID Connect login by redirect (code flow with PKCE) against
    ``issuer``'s discovery document; its ID tokens are then verified on every page."""
    from crmcore.adapters.identity.oidc import OidcLogin

    return OidcLogin(issuer=issuer, client_id=client_id, client_secret=client_secret, scope=scope)


def paths_reader() -> PathsReader:
    """The bulk reader of paths files (NumPy, imported on first use)."""
    from crmcore.adapters.analytics.paths_csv import FastPathsReader

    return FastPathsReader()


def jwks_identity(jwks_file: str, *, issuer: str, audience: str | None = None) -> IdentityVerifier:
    """The dashboard's default identity adapter: JWTs of ``issuer`` checked against the
    keys of ``jwks_file`` (ADR 0019)."""
    from crmcore.adapters.identity.jwks import JwksVerifier

    return JwksVerifier(jwks_file, issuer=issuer, audience=audience)


class LazyTemplateEngine:
    """Jinja2's sandbox, imported on first use (Jinja2 stays out of CLI start-up)."""

    def __init__(self) -> None:
        self._engine: TemplateEngine | None = None

    def _get(self) -> TemplateEngine:
        if self._engine is None:
            from crmcore.adapters.templates import SandboxedJinja

            self._engine = SandboxedJinja()
        return self._engine

    def check(self, source: str) -> frozenset[str]:
        """See :meth:`crmcore.ports.marketing.TemplateEngine.check`."""
        return self._get().check(source)

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """See :meth:`crmcore.ports.marketing.TemplateEngine.render`."""
        return self._get().render(source, context)


def marketing_services() -> MarketingServices:
    """Jinja2's sandbox for templates; SMTP for e-mail when a URL is given, JSON-lines
    files for every other channel (and for e-mail without one)."""

    def channels(options: ChannelOptions) -> dict[CampaignChannel, MessageChannel]:
        from crmcore.adapters.channels import FileChannel, SmtpChannel, SmtpSettings

        opened: dict[CampaignChannel, MessageChannel] = {
            c: FileChannel(options.folder, c.value) for c in CampaignChannel
        }
        if options.smtp_url:
            opened[CampaignChannel.EMAIL] = SmtpChannel(SmtpSettings.from_url(options.smtp_url))
        return opened

    return MarketingServices(templates=LazyTemplateEngine(), channels=channels)


def lookup_enricher(path: str) -> Enricher:
    """The default enricher (issue 18): the operator's lookup table (CSV) by domain.
    Raises ``ValueError`` when the table cannot be used."""
    from crmcore.adapters.enrichment.lookup import LookupTableEnricher

    return LookupTableEnricher.from_csv(path)
