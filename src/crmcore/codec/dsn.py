"""Delivery status notifications (RFC 3464) read with the standard library's ``email``:
a ``multipart/report; report-type=delivery-status`` message whose second part holds a
per-message block and one block per recipient, and whose third part is the original
message or its headers (where the ``Message-ID`` is).

Messages come from an mbox file, a maildir, a single ``.eml`` file, or a directory of
``.eml`` files. A message that is not a DSN (an auto-reply, say) yields no bounce.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

from crmcore.domain.bounces import Bounce


class UnreadableMailbox(ValueError):
    """A path that is not an mbox, a maildir, an ``.eml`` file or a folder of them."""


def _parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def read_messages(path: Path) -> Iterator[tuple[str, Message]]:
    """``(where, message)`` for every message at ``path``; ``where`` names it for errors
    (``file``, ``file#3`` in an mbox)."""
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys()):
                yield f"{path}/{key}", _parse(box.get_bytes(key))
            return
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml")
        if not files:
            raise UnreadableMailbox(f"{path}: neither a maildir nor a folder of .eml files")
        for file in files:
            yield str(file), _parse(file.read_bytes())
        return
    if not path.is_file():
        raise UnreadableMailbox(f"{path}: no such file or folder")
    with path.open("rb") as fh:
        head = fh.read(5)
    if head == b"From ":
        mbox = mailbox.mbox(path, factory=None, create=False)
        for n, key in enumerate(mbox.keys(), start=1):
            yield f"{path}#{n}", _parse(mbox.get_bytes(key))
        return
    yield str(path), _parse(path.read_bytes())


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _address(value: str) -> str:
    """``rfc822; ann@example.com`` → ``ann@example.com``."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def _original_message_id(report: Message) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found = inner[0].get("Message-ID")
                if found:
                    return str(found).strip()
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found = _parse(payload).get("Message-ID")
                if found:
                    return str(found).strip()
    return ""


def bounces_of(message: Message) -> list[Bounce]:
    """The per-recipient reports of a DSN (empty for any other message, or for a DSN
    without the original's ``Message-ID``)."""
    if message.get_content_type() != "multipart/report":
        return []
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return []
    message_id = _original_message_id(message)
    if not message_id:
        return []
    out: list[Bounce] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:  # the first block is about the message, the rest per recipient
            if not isinstance(block, Message):
                continue
            recipient = _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
            action = _field(block, "Action")
            if not recipient or not action:
                continue
            out.append(
                Bounce(
                    message_id=message_id,
                    recipient=_address(recipient),
                    action=action.lower(),
                    status=_field(block, "Status"),
                    diagnostic=_address(_field(block, "Diagnostic-Code")),
                )
            )
    return out
