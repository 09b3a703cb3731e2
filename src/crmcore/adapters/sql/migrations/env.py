"""Alembic environment: always run programmatically with a connection (see ``migrate.py``)."""

from __future__ import annotations

from alembic import context

from crmcore.adapters.sql.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs plain `alembic`
    raise RuntimeError("run migrations through `crm db upgrade` or crmcore.adapters.sql.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
