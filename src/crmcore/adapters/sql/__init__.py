"""SQLAlchemy Core adapters (SQLite embedded default, PostgreSQL for production)."""
