"""The event pipeline: ingest, the worker, apply, review, failed events, the outbox."""
