"""SQL adapters (SQLAlchemy 2.x Core): SQLite as the embedded default, PostgreSQL in production.

Tables are declared in :mod:`.tables`; rows are mapped to domain objects explicitly in
:mod:`.mapping`; the domain never sees SQLAlchemy.
"""
