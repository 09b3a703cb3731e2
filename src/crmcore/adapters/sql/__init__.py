"""SQLAlchemy storage adapters (the pieces that need no tables of their own live here too)."""
