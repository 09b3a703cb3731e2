"""Throw-away databases for storage tests: a migrated SQLite template and PostgreSQL
databases created per test session (other helpers share the server, so names are random).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine


@contextmanager
def fresh_postgres(base_url: str, *, prefix: str = "crmcore_test") -> Iterator[str]:
    """Create ``<prefix>_<random>`` with AUTOCOMMIT, yield its URL, drop it at the end."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    """An SQLite file at the head revision, to copy for each test."""
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    """A fresh copy of the template; returns its URL."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def truncate_all(engine: Engine) -> None:
    """Empty every table of the schema (PostgreSQL), keeping the migration version."""
    names = ", ".join(f'"{tbl.name}"' for tbl in t.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
