"""Schema migrations (Alembic, shipped inside the package) run programmatically.

``upgrade`` brings any database to the code's schema; ``current`` tells where it is;
``ensure_schema`` is called when an application is built: a new (or older) SQLite file is
upgraded on first use, a PostgreSQL database behind the code is refused with the command
to run, and a database newer than the code is always refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from crmcore.ports.errors import StorageError

if TYPE_CHECKING:  # Alembic is loaded only when a migration is read or run
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^revision = "([^"]+)"$', re.MULTILINE)


class SchemaMismatch(StorageError):
    """The database schema is not the one this code needs."""


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script() -> ScriptDirectory:
    """The migration scripts shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this code knows."""
    rev = script().get_current_head()
    assert rev is not None
    return rev


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [r.revision for r in reversed(list(script().walk_revisions()))]


def newest_file_revision() -> str:
    """The revision of the highest-numbered migration file, read without Alembic (the
    files are numbered in order; a test checks this is Alembic's :func:`head`)."""
    newest = max((MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    found = _REVISION.search(newest.read_text(encoding="utf-8"))
    assert found is not None, newest
    return found.group(1)


def current(engine: Engine) -> str | None:
    """The database's revision, or ``None`` for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _at_newest(engine: Engine) -> bool:
    """Whether the database stands at the newest revision, asked with one query and
    without loading Alembic (the check every command makes)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored == [newest_file_revision()]


def _check_not_newer(rev: str | None, engine: Engine) -> None:
    if rev is not None and rev not in revisions():
        raise SchemaMismatch(
            f"the database {engine.url.render_as_string()} is at schema revision {rev}, "
            f"newer than this version of crmcore (which knows up to {head()}); "
            "upgrade crmcore instead of using an older version on this database"
        )


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database up to ``revision``; returns the revision reached."""
    from alembic import command

    _check_not_newer(current(engine), engine)
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)
    reached = current(engine)
    assert reached is not None
    return reached


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to ``revision`` (``base`` for an empty schema); used by tests."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the database is at the code's schema before it is used."""
    if _at_newest(engine):
        return
    rev = current(engine)
    if rev == head():
        return
    _check_not_newer(rev, engine)
    if auto_upgrade:
        upgrade(engine)
        return
    where = "an empty database" if rev is None else f"schema revision {rev}"
    raise SchemaMismatch(
        f"the database {engine.url.render_as_string()} is at {where}, this code needs "
        f"{head()}: run `crm --db URL db upgrade` first"
    )
