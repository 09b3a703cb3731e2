"""Structured logging for the pipeline: every step carries the event id (stdlib logging).

``log_step(logger, "applied", event_id, contact_id=...)`` writes one record whose extra
fields a :class:`JsonFormatter` renders as a JSON object per line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

PIPELINE_LOGGER = "crmcore.pipeline"

_STANDARD = frozenset(vars(logging.makeLogRecord({})))


def get_logger() -> logging.Logger:
    """The pipeline's logger."""
    return logging.getLogger(PIPELINE_LOGGER)


def log_step(
    logger: logging.Logger,
    step: str,
    event_id: str | None,
    *,
    level: int = logging.INFO,
    **fields: object,
) -> None:
    """Log one pipeline step for one event with structured fields."""
    if logger.isEnabledFor(level):
        message = f"{step} event={event_id}" + "".join(f" {k}={v}" for k, v in fields.items())
        logger.log(level, message, extra={"step": step, "event_id": event_id, **fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and every extra field."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data:
                data[key] = (
                    value if isinstance(value, (int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(*, level: str = "INFO", json_format: bool = False) -> None:
    """Send pipeline logs to stderr, as text or JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    logger = get_logger()
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
