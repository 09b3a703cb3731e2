"""One URL chooses the backend: ``sqlite:///path.db`` or ``postgresql+psycopg://...``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crmcore.codec.jsontext import compact

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: WAL pages before an automatic checkpoint (SQLite's default: 1,000). A batch of the
#: event pipeline dirties more than that, so every commit checkpointed; with a larger WAL
#: a page rewritten by several commits is copied back once (-30 % written, -12 % CPU in
#: bench/ingest.py at 100,000 events).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
#: The same for a unit of work that bulk-imports (``SqlSession.defer_checkpoints``):
#: commits of 100,000 contacts skip the checkpoint until the WAL holds ~400 MB
#: (-15 % CPU storing 1M contacts); ``journal_size_limit`` shrinks the file afterwards.
SQLITE_BULK_WAL_PAGES = 100_000
SQLITE_WAL_SIZE_LIMIT = 64 * 1024 * 1024

#: Seconds a read engine's connection attempt may take (libpq ``connect_timeout``).
READ_CONNECT_TIMEOUT_S = 5

#: ``conn.info`` key: how the next SQLite transaction begins (``DEFERRED``/``IMMEDIATE``).
BEGIN_MODE = "crmcore_sqlite_begin"


class UnsupportedUrl(ValueError):
    """The URL names a backend the SQL adapter does not support."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings this library relies on.

    SQLite: WAL journal (checkpointed every 10,000 pages), foreign keys on, a busy
    timeout, ``synchronous=NORMAL``, and transactions begun explicitly (so a unit of work
    can begin ``IMMEDIATE`` when it must write after another connection committed).
    PostgreSQL: psycopg 3, pre-ping. Both write JSON columns as compact text (orjson,
    ADR 0029).
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise UnsupportedUrl(f"not a database URL: {url!r} ({exc})") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        driver = parsed.get_driver_name()
        if driver not in ("pysqlite", ""):
            raise UnsupportedUrl(f"SQLite driver {driver!r} is not supported; use sqlite:///")
        engine = create_engine(parsed, json_serializer=compact, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, json_serializer=compact, **kwargs)
    raise UnsupportedUrl(
        f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql+psycopg://..."
    )


def make_read_engine(engine: Engine) -> Engine:
    """A second engine over a PostgreSQL engine's database, for read units of work.

    Its connections are autocommit from the start (a read costs no BEGIN and ROLLBACK,
    and nothing is toggled on checkout or reset on return) and are not pinged before
    use: a read cannot half-happen, so ``context.read`` runs it again on a fresh
    connection when the pooled one turned out dead, instead of every read paying a
    round trip to prove it alive. A connection attempt gives up after
    :data:`READ_CONNECT_TIMEOUT_S`: the HTTP API runs some reads on its event loop.
    """
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
        connect_args={"connect_timeout": READ_CONNECT_TIMEOUT_S},
    )


def is_sqlite(engine: Engine) -> bool:
    """True for SQLite engines."""
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; "begin" below emits BEGIN.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # erased personal data must not linger in freed space of the file (issue 16)
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        mode = conn.info.pop(BEGIN_MODE, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
