"""Events ↔ JSON. The envelope carries ``id``, ``type``, ``version``, ``occurred_at``.

Old versions stay readable: an upcaster per ``(type, version)`` lifts a stored payload
to the next version before it is structured into the current class.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import cattrs

from crmcore.codec.jsontext import compact
from crmcore.domain.events import DomainEvent, Envelope, registered_events

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

#: ``(type, version) -> function`` lifting a payload from ``version`` to ``version + 1``.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEvent(ValueError):
    """The type name is not in the catalogue, or the version is newer than the code."""


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(UUID, str)
    conv.register_structure_hook(UUID, lambda v, _: UUID(str(v)))
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    conv.register_unstructure_hook(date, lambda v: v.isoformat())
    conv.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(Enum, lambda v: v.value)
    return conv


_CONVERTER = _make_converter()


def envelope_to_dict(envelope: Envelope[DomainEvent], *, at: str | None = None) -> dict[str, Any]:
    """The JSON-ready form of an envelope (``at``: its time's ISO text, when the caller
    formatted it already: a commit's envelopes share it)."""
    return {
        "id": str(envelope.id),
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at.isoformat() if at is None else at,
        "payload": _CONVERTER.unstructure(envelope.payload),
    }


def envelope_json(envelope: Envelope[DomainEvent]) -> str:
    """The text the outbox stores: ``envelope_to_dict`` as compact JSON (ADR 0029)."""
    return compact(envelope_to_dict(envelope))


def envelope_from_dict(data: dict[str, Any]) -> Envelope[DomainEvent]:
    """Read an envelope written by any version of the code up to this one."""
    name, version = data["type"], int(data["version"])
    cls = registered_events().get(name)
    if cls is None:
        raise UnknownEvent(f"unknown event type {name!r}")
    if version > cls.VERSION:
        raise UnknownEvent(f"{name} version {version} is newer than this code ({cls.VERSION})")
    payload = dict(data["payload"])
    while version < cls.VERSION:
        payload = UPCASTERS[(name, version)](payload)
        version += 1
    return Envelope(
        id=UUID(data["id"]),
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        payload=_CONVERTER.structure(payload, cls),
    )


def dumps(envelope: Envelope[DomainEvent]) -> str:
    """One envelope as a compact JSON string."""
    return json.dumps(envelope_to_dict(envelope), separators=(",", ":"), sort_keys=True)


def loads(text: str) -> Envelope[DomainEvent]:
    """Parse a JSON string written by :func:`dumps`."""
    return envelope_from_dict(json.loads(text))
