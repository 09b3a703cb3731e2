"""Events ↔ JSON. The envelope carries ``id``, ``type``, ``version``, ``occurred_at``.

Old versions stay readable: an upcaster per ``(type, version)`` lifts a stored payload
to the next version before it is structured into the current class.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from uuid import UUID

import attrs
import cattrs

from crmcore.codec.jsontext import quote as _quote
from crmcore.codec.jsontext import scalar_json as _scalar_json
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


def envelope_to_dict(envelope: Envelope[DomainEvent]) -> dict[str, Any]:
    """The JSON-ready form of an envelope."""
    payload = envelope.payload
    plan = _PLANS.get(type(payload))
    if plan is None:
        plan = _PLANS[type(payload)] = _plan(type(payload))
    return {
        "id": str(envelope.id),
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at.isoformat(),
        "payload": _CONVERTER.unstructure(payload) if plan is False else _flat(payload, plan),
    }


_Plan = tuple[tuple[str, Callable[[Any], Any] | None], ...]

#: Per event class: how each field is unstructured, or ``False`` when cattrs must do it.
_PLANS: dict[type, _Plan | Literal[False]] = {}

#: Field types whose values the converter above turns into JSON by one plain function.
_SCALARS: dict[Any, Callable[[Any], Any] | None] = {
    str: None,
    int: None,
    float: None,
    bool: None,
    UUID: str,
    datetime: datetime.isoformat,
    date: date.isoformat,
    Decimal: str,
}


def _plan(cls: type) -> _Plan | Literal[False]:
    """A field-by-field plan giving exactly what the converter gives, for events whose
    fields are all plain scalars (optional or not); ``False`` for any other."""
    if not attrs.has(cls):
        return False
    hints = get_type_hints(cls)
    plan = []
    for field in attrs.fields(cls):
        kind: Any = hints.get(field.name)
        args = [a for a in get_args(kind) if a is not type(None)]
        if get_origin(kind) in (Union, UnionType) and len(args) == 1:
            kind = args[0]
        while getattr(kind, "__supertype__", None) is not None:  # NewType
            kind = kind.__supertype__
        if kind not in _SCALARS:
            return False
        plan.append((field.name, _SCALARS[kind]))
    return tuple(plan)


def _flat(payload: Any, plan: _Plan) -> dict[str, Any]:
    out = {}
    for name, convert in plan:
        value = getattr(payload, name)
        out[name] = value if convert is None or value is None else convert(value)
    return out


#: Per event class: ``(", \"name\": ", name, encode)`` per field, or ``False``.
_TextPlan = tuple[tuple[str, str, Callable[[Any], str]], ...]


def _uuid_json(value: Any) -> str:
    """``json.dumps(str(value))`` of a UUID field (``UUID.__str__``, written inline)."""
    if value is None:
        return "null"
    if type(value) is not UUID:
        return _scalar_json(str(value))
    h = value.int.to_bytes(16, "big").hex()  # faster than formatting the int
    return f'"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"'


#: ``isoformat`` text of recent UTC times (an aware ``isoformat`` costs ~1 µs, and the
#: events of one commit share their envelope's time and their interaction's).
_ISO: dict[datetime, str] = {}


def _iso(value: datetime) -> str:
    if value.tzinfo is not UTC or type(value) is not datetime:  # equal times, other text
        return value.isoformat()
    text = _ISO.get(value)
    if text is None:
        if len(_ISO) >= 4096:
            _ISO.clear()
        text = _ISO[value] = value.isoformat()
    return text


def _datetime_json(value: Any) -> str:
    """``json.dumps(value.isoformat())`` of a datetime field."""
    if value is None:
        return "null"
    if type(value) is not datetime:
        return _scalar_json(datetime.isoformat(value))
    return _quote(_iso(value))


def _converted_json(convert: Callable[[Any], Any]) -> Callable[[Any], str]:
    if convert is str:
        return _uuid_json
    if convert is datetime.isoformat:
        return _datetime_json

    def encode(value: Any) -> str:
        return "null" if value is None else _scalar_json(convert(value))

    return encode


def _text_plan(cls: type) -> _TextPlan | Literal[False]:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    if plan is False:
        return False
    return tuple(
        (
            f"{', ' if i else ''}{json.dumps(name)}: ",
            name,
            _scalar_json if convert is None else _converted_json(convert),
        )
        for i, (name, convert) in enumerate(plan)
    )


#: ``(id JSON, occurred_at JSON, payload) -> envelope JSON`` of one event class.
_Writer = Callable[[str, str, Any], str]
_WRITERS: dict[type, _Writer | Literal[False]] = {}


def _compiled_writer(cls: type) -> _Writer | Literal[False]:
    """The envelope text of ``cls``'s events as one compiled expression: its type and
    version written in, its fields read and encoded in line (``False`` without a plan)."""
    plan = _text_plan(cls)
    if plan is False:
        return False
    names: dict[str, Any] = {"_quote": _quote, "_scalar_json": _scalar_json}
    head = (
        f', "type": {_scalar_json(cls.TYPE)}, "version": {_scalar_json(cls.VERSION)},'  # type: ignore[attr-defined]
        ' "occurred_at": '
    )
    parts = ["'{\"id\": '", "id_json", repr(head), "at_json", repr(', "payload": {')]
    for i, (prefix, name, encode) in enumerate(plan):
        parts.append(repr(prefix))
        if encode is _scalar_json:  # a str field stays a str: its quoting called directly
            parts.append(f"(_quote(v) if type(v := p.{name}) is str else _scalar_json(v))")
        else:
            names[f"_encode{i}"] = encode
            parts.append(f"_encode{i}(p.{name})")
    parts.append("'}}'")
    source = f"def write(id_json, at_json, p):\n    return ''.join(({', '.join(parts)}))\n"
    exec(source, names)  # the source is built above from attrs field names
    write: _Writer = names["write"]
    return write


def _id_json(value: Any) -> str:
    return _uuid_json(value) if type(value) is UUID else _scalar_json(str(value))


def envelope_json(envelope: Envelope[DomainEvent]) -> str:
    """``json.dumps(envelope_to_dict(envelope))``: for events with a plan, written straight
    from the fields (the outbox stores one per event)."""
    payload = envelope.payload
    write = _WRITERS.get(type(payload))
    if write is None:
        write = _WRITERS[type(payload)] = _compiled_writer(type(payload))
    if write is False:
        return json.dumps(envelope_to_dict(envelope))
    return write(_id_json(envelope.id), _quote(_iso(envelope.occurred_at)), payload)


def envelopes_json(
    ids: Sequence[UUID], occurred_at: datetime, payloads: Sequence[DomainEvent]
) -> list[str]:
    """``envelope_json`` of ``Envelope(id=i, occurred_at=occurred_at, payload=p)`` for
    each pair, without building the envelopes (a commit's events share their time)."""
    at_json = _quote(_iso(occurred_at))
    writers = _WRITERS
    out = []
    for event_id, payload in zip(ids, payloads, strict=True):
        write = writers.get(type(payload))
        if write is None:
            write = writers[type(payload)] = _compiled_writer(type(payload))
        if write is False:
            envelope = Envelope(id=event_id, occurred_at=occurred_at, payload=payload)
            out.append(json.dumps(envelope_to_dict(envelope)))
        else:
            out.append(write(_id_json(event_id), at_json, payload))
    return out


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
