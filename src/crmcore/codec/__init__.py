"""Serialisation at the edges: one private cattrs converter per boundary."""
