"""Access to the HTTP surface: API keys, idempotent POSTs, webhook subscriptions."""
