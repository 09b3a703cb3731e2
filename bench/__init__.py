"""Benchmarks (never run by the test suite)."""
