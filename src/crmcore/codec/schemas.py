"""JSON Schemas of the published events, generated from the attrs payload classes.

The envelope written by :func:`crmcore.codec.events.envelope_to_dict` is described per
event type; the checked-in copies live in ``docs/events/`` and a test keeps them equal to
what this module generates. Regenerate after changing an event::

    python -m crmcore.codec.schemas docs/events
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import json
import pkgutil
import sys
import types
import typing
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from crmcore.domain.events import DomainEvent, registered_events

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"


def load_catalogue() -> dict[str, type[DomainEvent]]:
    """Every event type of the domain (importing each domain module registers its events)."""
    import crmcore.domain as domain

    for module in pkgutil.walk_packages(domain.__path__, prefix="crmcore.domain."):
        importlib.import_module(module.name)
    return dict(sorted(registered_events().items()))


def _type_schema(tp: Any) -> dict[str, Any]:
    supertype = getattr(tp, "__supertype__", None)
    if supertype is not None:  # NewType ids
        return _type_schema(supertype)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        options = [_type_schema(a) for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if type(None) in args:
            return {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        items = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": _type_schema(items[0]) if items else {}}
    if origin is dict or tp is dict:
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        return _object_schema(tp)
    simple: dict[Any, dict[str, Any]] = {
        uuid.UUID: {"type": "string", "format": "uuid"},
        str: {"type": "string"},
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        Decimal: {"type": "string", "pattern": DECIMAL_PATTERN},
        dt.datetime: {"type": "string", "format": "date-time"},
        dt.date: {"type": "string", "format": "date"},
    }
    if tp in simple:
        return dict(simple[tp])
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


def _object_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        properties[field.name] = _type_schema(hints[field.name])
        if field.default is attrs.NOTHING:
            required.append(field.name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def event_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of the envelope of one event type at its current version."""
    payload = _object_schema(cls)
    doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"crmcore:event:{cls.TYPE}:v{cls.VERSION}",
        "title": cls.TYPE,
        "description": doc,
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "type": {"const": cls.TYPE},
            "version": {"const": cls.VERSION},
            "occurred_at": {"type": "string", "format": "date-time"},
            "payload": payload,
        },
        "required": ["id", "type", "version", "occurred_at", "payload"],
        "additionalProperties": False,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """``{file name: schema}`` for every event type."""
    return {
        f"{name}.v{cls.VERSION}.schema.json": event_schema(cls)
        for name, cls in load_catalogue().items()
    }


def render(schema: dict[str, Any]) -> str:
    """The checked-in text of a schema (stable key order, trailing newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def _describe(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_describe(p) for p in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "string" and "pattern" in prop:
        return "decimal string"
    if kind == "string" and "format" in prop:
        return f"string ({prop['format']})"
    if kind == "array":
        return f"list of {_describe(prop.get('items', {}))}"
    return str(kind)


def catalogue_markdown() -> str:
    """The ``## Catalogue`` section of ``docs/events.md``, generated from the schemas."""
    lines = ["## Catalogue", ""]
    for name, cls in load_catalogue().items():
        schema = event_schema(cls)
        payload = schema["properties"]["payload"]
        file = f"events/{name}.v{cls.VERSION}.schema.json"
        lines += [f"### `{name}` (version {cls.VERSION})", ""]
        lines += [f"{schema['description']} Schema: [`{file}`]({file}).", ""]
        lines += ["| field | type | required |", "| --- | --- | --- |"]
        required = set(payload.get("required", ()))
        for field, prop in payload.get("properties", {}).items():
            needed = "yes" if field in required else "no"
            lines.append(f"| `{field}` | {_describe(prop)} | {needed} |")
        lines.append("")
    return "\n".join(lines)


def write_catalogue_page(page: Path) -> None:
    """Replace everything from ``## Catalogue`` on in ``page`` with the generated section."""
    text = page.read_text(encoding="utf-8")
    head = text.split("## Catalogue", 1)[0]
    page.write_text(head + catalogue_markdown(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/events")
    for path in write(target):
        print(path)
    write_catalogue_page(target.parent / "events.md")
    print(target.parent / "events.md")
