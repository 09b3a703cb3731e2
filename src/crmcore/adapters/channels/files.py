"""A channel that appends each message as one JSON line to a file: SMS, push,
messenger, in-app and the call list in development (and tests)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from crmcore.ports.marketing import OutgoingMessage, SendResult


class FileChannel:
    """Messages of one channel appended to ``<folder>/<channel>.jsonl`` (flushed and
    synced per batch)."""

    def __init__(self, folder: str | Path, channel: str) -> None:
        self.path = Path(folder) / f"{channel}.jsonl"
        self._channel = channel

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        results = []
        for m in messages:
            message_id = f"{self._channel}:{m.delivery_id}"
            record = {
                "id": message_id,
                "to": m.to,
                "subject": m.subject,
                "body": m.body,
                "headers": dict(m.headers),
            }
            lines.append(json.dumps(record, ensure_ascii=False))
            results.append(
                SendResult(delivery_id=m.delivery_id, accepted=True, message_id=message_id)
            )
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
        return results

    def close(self) -> None:
        """Nothing stays open between batches."""
