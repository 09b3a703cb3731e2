"""Enrichment adapters."""
