"""Scoring, customer health and segments."""
