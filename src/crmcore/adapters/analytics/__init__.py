"""Analytics adapters: the NumPy attribution engine and the set-based report queries."""
