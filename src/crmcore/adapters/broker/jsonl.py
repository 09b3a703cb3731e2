"""A publisher that appends one JSON envelope per line to a file."""

from __future__ import annotations

import os
from pathlib import Path

from crmcore.codec.events import dumps
from crmcore.domain.events import DomainEvent, Envelope


class JsonLinesPublisher:
    """Appends ``codec.events.dumps(envelope)`` lines; each line is flushed and fsynced
    before ``publish`` returns, so a published event survives a crash of the relay."""

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self._fsync = fsync

    def publish(self, envelope: Envelope[DomainEvent]) -> None:
        line = dumps(envelope) + "\n"
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            if self._fsync:
                os.fsync(out.fileno())
