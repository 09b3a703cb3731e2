"""SQLite-specific statements and converters, derived from tables.py."""
