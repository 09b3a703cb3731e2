"""Sentiment analysers: the deterministic lexicon model (default)."""
