"""Data quality: duplicate detection (blocking, comparison, Fellegi-Sunter), see ADR 0017."""
